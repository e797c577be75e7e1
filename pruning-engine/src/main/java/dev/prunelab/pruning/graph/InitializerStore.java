package dev.prunelab.pruning.graph;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.pruning.model.HalfFloats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Turns weight arrays into ONNX initializers, either inline ({@code raw_data}) or appended to the external
 * data file next to the graph. External data is written tensor by tensor as the exporter walks the model,
 * so only one tensor is in memory at a time; inline data lives in the graph until it is serialised, which is
 * why inline is only chosen for models under {@link WeightFormat#EXTERNAL_DATA_THRESHOLD_BYTES}.
 */
public final class InitializerStore implements AutoCloseable {
    /** Offsets in the data file are aligned so ONNX Runtime can map tensors without copying. */
    private static final int ALIGNMENT_BYTES = 64;
    private static final int CHUNK_ELEMENTS = 1 << 20;

    private final WeightFormat format;
    private final FileChannel externalData;   // null when inline
    private long externalBytes;
    private long parameterCount;
    private long zeroCount;

    public InitializerStore(WeightFormat format, Path externalDataFile) {
        this.format = format;
        try {
            this.externalData = format.external()
                    ? FileChannel.open(externalDataFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING)
                    : null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + externalDataFile, e);
        }
    }

    /** Weights in the export dtype (float32, or float16 when asked); the graph casts float16 back to float32. */
    public OnnxMl.TensorProto weight(String name, float[] values, long... shape) {
        parameterCount += values.length;
        for (float value : values) {
            zeroCount += value == 0f ? 1 : 0;
        }
        return format.float16() ? float16(name, values, shape) : float32(name, values, shape);
    }

    /** A float32 constant that is not a model parameter (rotary frequencies, scales). */
    public OnnxMl.TensorProto float32(String name, float[] values, long... shape) {
        return store(name, OnnxMl.TensorProto.DataType.FLOAT, values, shape, Float.BYTES);
    }

    /**
     * A float32 constant of the graph itself (rotary cos/sin tables), always inline in model.onnx: not a weight, so
     * neither counted, compressed nor moved to the external data file with the weights.
     */
    public static OnnxMl.TensorProto inlineFloat32(String name, float[] values, long... shape) {
        return inline(name, OnnxMl.TensorProto.DataType.FLOAT, encode(values, 0, values.length, Float.BYTES), shape);
    }

    public OnnxMl.TensorProto float16(String name, float[] values, long... shape) {
        return store(name, OnnxMl.TensorProto.DataType.FLOAT16, values, shape, 2);
    }

    /** Little-endian bytes of values[start, end) in the element type. */
    private static ByteBuffer encode(float[] values, int start, int end, int elementBytes) {
        ByteBuffer bytes = ByteBuffer.allocate((end - start) * elementBytes).order(ByteOrder.LITTLE_ENDIAN);
        if (elementBytes == Float.BYTES) {
            bytes.asFloatBuffer().put(values, start, end - start);
        } else {
            for (int i = start; i < end; i++) {
                bytes.putShort(HalfFloats.floatToF16(values[i]));
            }
            bytes.flip();
        }
        return bytes;
    }

    /**
     * A packed quantized weight (MatMulNBits' uint8 B) of {@code parameters} logical weights, {@code zeros} of which
     * dequantize to exactly 0: counted as parameters like a float weight, stored as its bytes.
     */
    public OnnxMl.TensorProto packedWeight(String name, byte[] packed, long parameters, long zeros, long... shape) {
        parameterCount += parameters;
        zeroCount += zeros;
        ByteBuffer bytes = ByteBuffer.wrap(packed);
        if (externalData == null) {
            return inline(name, OnnxMl.TensorProto.DataType.UINT8, bytes, shape);
        }
        try {
            long offset = (externalBytes + ALIGNMENT_BYTES - 1) / ALIGNMENT_BYTES * ALIGNMENT_BYTES;
            externalData.position(offset);
            while (bytes.hasRemaining()) {
                externalData.write(bytes);
            }
            externalBytes = offset + packed.length;
            OnnxMl.TensorProto.Builder tensor = OnnxMl.TensorProto.newBuilder()
                    .setName(name)
                    .setDataType(OnnxMl.TensorProto.DataType.UINT8_VALUE)
                    .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL);
            for (long dimension : shape) {
                tensor.addDims(dimension);
            }
            tensor.addExternalData(entry("location", DecoderIo.EXTERNAL_DATA_FILE));
            tensor.addExternalData(entry("offset", Long.toString(offset)));
            tensor.addExternalData(entry("length", Long.toString(packed.length)));
            return tensor.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tensor " + name + " to " + DecoderIo.EXTERNAL_DATA_FILE, e);
        }
    }

    /** Whether weights are stored as float16 (scales of quantized weights follow it). */
    public boolean float16() {
        return format.float16();
    }

    public static OnnxMl.TensorProto int64(String name, long[] values, long... shape) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(values);
        return inline(name, OnnxMl.TensorProto.DataType.INT64, bytes, shape);
    }

    public long parameterCount() {
        return parameterCount;
    }

    public long nonZeroCount() {
        return parameterCount - zeroCount;
    }

    public long externalBytes() {
        return externalBytes;
    }

    /**
     * Inline: one raw_data buffer. External: appended to the data file in chunks, so a 1 GB embedding never
     * needs a second full-size copy in memory.
     */
    private OnnxMl.TensorProto store(String name, OnnxMl.TensorProto.DataType type, float[] values, long[] shape,
            int elementBytes) {
        checkCount(name, values.length, shape);
        if (externalData == null) {
            return inline(name, type, encode(values, 0, values.length, elementBytes), shape);
        }
        try {
            long offset = (externalBytes + ALIGNMENT_BYTES - 1) / ALIGNMENT_BYTES * ALIGNMENT_BYTES;
            long length = (long) values.length * elementBytes;
            externalData.position(offset);
            for (int start = 0; start < values.length; start += CHUNK_ELEMENTS) {
                ByteBuffer chunk = encode(values, start, Math.min(values.length, start + CHUNK_ELEMENTS), elementBytes);
                while (chunk.hasRemaining()) {
                    externalData.write(chunk);
                }
            }
            externalBytes = offset + length;
            OnnxMl.TensorProto.Builder tensor = OnnxMl.TensorProto.newBuilder()
                    .setName(name)
                    .setDataType(type.getNumber())
                    .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL);
            for (long dimension : shape) {
                tensor.addDims(dimension);
            }
            tensor.addExternalData(entry("location", DecoderIo.EXTERNAL_DATA_FILE));
            tensor.addExternalData(entry("offset", Long.toString(offset)));
            tensor.addExternalData(entry("length", Long.toString(length)));
            return tensor.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tensor " + name + " to " + DecoderIo.EXTERNAL_DATA_FILE, e);
        }
    }

    private static OnnxMl.TensorProto inline(String name, OnnxMl.TensorProto.DataType type, ByteBuffer bytes,
            long[] shape) {
        OnnxMl.TensorProto.Builder tensor = OnnxMl.TensorProto.newBuilder()
                .setName(name)
                .setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(bytes));
        for (long dimension : shape) {
            tensor.addDims(dimension);
        }
        return tensor.build();
    }

    private static OnnxMl.StringStringEntryProto entry(String key, String value) {
        return OnnxMl.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private static void checkCount(String name, int count, long[] shape) {
        long expected = 1;
        for (long dimension : shape) {
            expected *= dimension;
        }
        if (expected != count) {
            throw new IllegalStateException("initializer " + name + " has " + count + " values for shape "
                    + Arrays.toString(shape));
        }
    }

    @Override
    public void close() {
        if (externalData != null && externalData.isOpen()) {
            try {
                externalData.force(true);
                externalData.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close " + DecoderIo.EXTERNAL_DATA_FILE, e);
            }
        }
    }
}
