package dev.prunelab.pruning.checkpoint;

import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.HalfFloats;
import dev.prunelab.pruning.model.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** Reads a stored tensor into a float[] through memory mappings, shared by the safetensors and llama2.c readers. */
final class TensorBytes {
    /**
     * One mapping covers at most 1 GiB: FileChannel.map is limited to 2 GiB - 1 per call, and a 1 GiB chunk is
     * a multiple of every element size, so no element straddles two chunks.
     */
    static final long CHUNK_BYTES = 1L << 30;

    /** The largest float[] the JVM reliably allocates. */
    static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private TensorBytes() {
    }

    static float[] readFloats(FileChannel channel, Path file, String name, long offset, DType dtype, long count) {
        if (count > MAX_ELEMENTS) {
            throw new ModelFormatException(file, name, count + " elements do not fit one float[] (at most "
                    + MAX_ELEMENTS + "); the tensor cannot be read whole");
        }
        float[] values = new float[(int) count];
        long totalBytes = count * dtype.sizeBytes();
        long done = 0;
        int position = 0;
        try {
            while (done < totalBytes) {
                long length = Math.min(CHUNK_BYTES, totalBytes - done);
                MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, offset + done, length);
                mapped.order(ByteOrder.LITTLE_ENDIAN);
                int elements = (int) (length / dtype.sizeBytes());
                switch (dtype) {
                    case F32 -> mapped.asFloatBuffer().get(values, position, elements);
                    case F16 -> {
                        ShortBuffer shorts = mapped.asShortBuffer();
                        for (int i = 0; i < elements; i++) {
                            values[position + i] = HalfFloats.f16ToFloat(shorts.get(i));
                        }
                    }
                    case BF16 -> {
                        ShortBuffer shorts = mapped.asShortBuffer();
                        for (int i = 0; i < elements; i++) {
                            values[position + i] = HalfFloats.bf16ToFloat(shorts.get(i));
                        }
                    }
                }
                position += elements;
                done += length;
                Unmapper.unmap(mapped);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": tensor '" + name + "': cannot map bytes " + offset + ".."
                    + (offset + totalBytes) + ": " + e.getMessage(), e);
        }
        requireFinite(file, name, values);
        return values;
    }

    /** Pruning statistics and exported graphs silently go wrong on NaN/Inf weights, so they stop loading here. */
    static void requireFinite(Path file, String name, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new ModelFormatException(file, name, "value " + values[i] + " at flat index " + i
                        + " is not finite");
            }
        }
    }
}
