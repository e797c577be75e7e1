package dev.prunelab.pruning.graph;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.pruning.model.HalfFloats;
import dev.prunelab.pruning.model.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

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

    /**
     * In memory, a tensor of at least this many bytes goes to a direct buffer of its own instead of the graph's
     * raw_data; smaller ones (norms, biases, constants) stay inline.
     */
    public static final int IN_MEMORY_THRESHOLD_BYTES = 64 * 1024;
    /** The external-data location a tensor held in memory declares; ONNX Runtime never opens it. */
    public static final String IN_MEMORY_LOCATION = "in-memory";

    private final WeightFormat format;
    private final FileChannel externalData;   // null when inline or in memory
    private final Map<String, HeldTensor> inMemory; // null unless in memory, by name
    private final long inMemoryThresholdBytes;
    private long externalBytes;
    private long parameterCount;
    private long zeroCount;

    public InitializerStore(WeightFormat format, Path externalDataFile) {
        this(format, externalDataFile, false, Long.MAX_VALUE);
    }

    private InitializerStore(WeightFormat format, Path externalDataFile, boolean inMemory,
            long inMemoryThresholdBytes) {
        this.format = format;
        this.inMemory = inMemory ? new LinkedHashMap<>() : null;
        this.inMemoryThresholdBytes = inMemoryThresholdBytes;
        try {
            this.externalData = format.external()
                    ? FileChannel.open(externalDataFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING)
                    : null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + externalDataFile, e);
        }
    }

    /**
     * A store for a graph that is handed to ONNX Runtime in memory: each large tensor goes to a direct buffer
     * ({@link #inMemoryData()}) and the graph declares it as external data, so that the serialised graph holds no
     * weights and the session takes them from the buffers (SessionOptions.addExternalInitializers). Serialising the
     * weights inline costs the Java heap three copies of them (the encoded bytes, the proto's, the model's array):
     * 2.6 GB for one block of an 8B model.
     */
    public static InitializerStore inMemory(WeightFormat format) {
        return inMemory(format, IN_MEMORY_THRESHOLD_BYTES);
    }

    /** {@link #inMemory(WeightFormat)} holding the tensors of at least {@code thresholdBytes} in direct buffers. */
    public static InitializerStore inMemory(WeightFormat format, long thresholdBytes) {
        if (format.external()) {
            throw new IllegalArgumentException("an in-memory store has no external data file");
        }
        return new InitializerStore(format, null, true, thresholdBytes);
    }

    /**
     * A tensor held in memory for ONNX Runtime.
     *
     * @param bytes direct, little-endian, in the element type
     * @param float16 whether the elements are float16 (else float32)
     */
    public record HeldTensor(ByteBuffer bytes, long[] shape, boolean float16) {
    }

    /** The tensors held in direct buffers by name (empty unless {@link #inMemory}); the caller releases them. */
    public Map<String, HeldTensor> inMemoryData() {
        return inMemory == null ? Map.of() : Collections.unmodifiableMap(inMemory);
    }

    /** Weights in the export dtype (float32, or float16 when asked); the graph casts float16 back to float32. */
    public OnnxMl.TensorProto weight(String name, float[] values, long... shape) {
        countWeight(values);
        return format.float16() ? float16(name, values, shape) : float32(name, values, shape);
    }

    /**
     * {@link #weight(String, float[], long...)} of {@code matrix} [rows, cols] stored transposed, [cols, rows], as
     * MatMul takes a Linear's weight: held in memory or written to the external data file, the transpose is made a
     * chunk at a time as it is encoded, so no transposed copy of the matrix is ever on the heap (an 8B model's MLP
     * matrices are 235 MB each, and the copy is what ran a 1.2 GB heap out of memory on that shape).
     */
    public OnnxMl.TensorProto transposedWeight(String name, float[] matrix, int rows, int cols) {
        long[] shape = {cols, rows};
        checkCount(name, matrix.length, shape);
        countWeight(matrix);
        OnnxMl.TensorProto.DataType type = format.float16() ? OnnxMl.TensorProto.DataType.FLOAT16
                : OnnxMl.TensorProto.DataType.FLOAT;
        int elementBytes = format.float16() ? 2 : Float.BYTES;
        return place(name, type, shape, matrix.length, elementBytes, (first, count) -> {
            float[] chunk = new float[count];
            Matrices.transposeRange(matrix, rows, cols, first, chunk, count);
            return encode(chunk, 0, count, elementBytes);
        });
    }

    /** A weight's values counted as parameters, and its zeros. */
    private void countWeight(float[] values) {
        parameterCount += values.length;
        for (float value : values) {
            zeroCount += value == 0f ? 1 : 0;
        }
    }

    /**
     * {@link #weight(String, float[], long...)} of a source's tensor: to an external data file it goes in chunks
     * read from the source ({@link TensorSource#readRange}), never whole (an 8B model's untied head is 2 GB in
     * float32); inline, it is read whole.
     */
    public OnnxMl.TensorProto weight(String name, TensorSource source, long... shape) {
        long count = 1;
        for (long dimension : shape) {
            count *= dimension;
        }
        if (externalData == null) {
            return weight(name, source.readFloats(name), shape);
        }
        int elementBytes = format.float16() ? 2 : Float.BYTES;
        parameterCount += count;
        return external(name, format.float16() ? OnnxMl.TensorProto.DataType.FLOAT16
                : OnnxMl.TensorProto.DataType.FLOAT, shape, count * elementBytes, (first, length) -> {
                    float[] chunk = source.readRange(name, first, length);
                    for (float value : chunk) {
                        zeroCount += value == 0f ? 1 : 0;
                    }
                    return encode(chunk, 0, length, elementBytes);
                }, count);
    }

    /** Encoded bytes of values first..first+length-1 of a tensor. */
    @FunctionalInterface
    private interface Chunks {
        ByteBuffer encode(long first, int length);
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
            return externalReference(name, OnnxMl.TensorProto.DataType.UINT8, shape, DecoderIo.EXTERNAL_DATA_FILE,
                    offset, packed.length);
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
        return place(name, type, shape, values.length, elementBytes,
                (first, length) -> encode(values, (int) first, (int) first + length, elementBytes));
    }

    /**
     * A tensor of {@code count} elements, encoded by {@code chunks}: to a direct buffer when this store holds large
     * tensors in memory and it is one, else inline (encoded whole), else to the external data file chunk by chunk.
     */
    private OnnxMl.TensorProto place(String name, OnnxMl.TensorProto.DataType type, long[] shape, long count,
            int elementBytes, Chunks chunks) {
        long length = count * elementBytes;
        if (inMemory != null && length >= inMemoryThresholdBytes) {
            return heldInMemory(name, type, shape, length, chunks, count);
        }
        if (externalData == null) {
            return inline(name, type, chunks.encode(0, Math.toIntExact(count)), shape);
        }
        return external(name, type, shape, length, chunks, count);
    }

    /** Appends a tensor's bytes to the external data file, chunk by chunk, aligned. */
    private OnnxMl.TensorProto external(String name, OnnxMl.TensorProto.DataType type, long[] shape, long length,
            Chunks chunks, long count) {
        try {
            long offset = (externalBytes + ALIGNMENT_BYTES - 1) / ALIGNMENT_BYTES * ALIGNMENT_BYTES;
            externalData.position(offset);
            for (long start = 0; start < count; start += CHUNK_ELEMENTS) {
                ByteBuffer chunk = chunks.encode(start, (int) Math.min(CHUNK_ELEMENTS, count - start));
                while (chunk.hasRemaining()) {
                    externalData.write(chunk);
                }
            }
            externalBytes = offset + length;
            return externalReference(name, type, shape, DecoderIo.EXTERNAL_DATA_FILE, offset, length);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tensor " + name + " to " + DecoderIo.EXTERNAL_DATA_FILE, e);
        }
    }

    private OnnxMl.TensorProto heldInMemory(String name, OnnxMl.TensorProto.DataType type, long[] shape, long length,
            Chunks chunks, long count) {
        ByteBuffer direct = ByteBuffer.allocateDirect(Math.toIntExact(length)).order(ByteOrder.LITTLE_ENDIAN);
        for (long start = 0; start < count; start += CHUNK_ELEMENTS) {
            direct.put(chunks.encode(start, (int) Math.min(CHUNK_ELEMENTS, count - start)));
        }
        direct.flip();
        HeldTensor previous = inMemory.put(name, new HeldTensor(direct, shape.clone(),
                type == OnnxMl.TensorProto.DataType.FLOAT16));
        if (previous != null) {
            throw new IllegalStateException("initializer " + name + " stored twice");
        }
        return externalReference(name, type, shape, IN_MEMORY_LOCATION, 0, length);
    }

    /** A tensor whose bytes are elsewhere: {@code length} bytes at {@code offset} of {@code location}. */
    private static OnnxMl.TensorProto externalReference(String name, OnnxMl.TensorProto.DataType type, long[] shape,
            String location, long offset, long length) {
        OnnxMl.TensorProto.Builder tensor = OnnxMl.TensorProto.newBuilder()
                .setName(name)
                .setDataType(type.getNumber())
                .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL);
        for (long dimension : shape) {
            tensor.addDims(dimension);
        }
        tensor.addExternalData(entry("location", location));
        tensor.addExternalData(entry("offset", Long.toString(offset)));
        tensor.addExternalData(entry("length", Long.toString(length)));
        return tensor.build();
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
