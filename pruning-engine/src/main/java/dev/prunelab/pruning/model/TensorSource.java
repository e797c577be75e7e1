package dev.prunelab.pruning.model;

import java.util.Arrays;
import java.util.Set;

/**
 * Read access to a model's weights by Hugging Face tensor name. Implementations memory-map their files and
 * read a tensor only when it is asked for, so a model larger than memory can be streamed tensor by tensor.
 * Every source presents Hugging Face names and layouts of its family, whatever its file format (a llama2.c
 * checkpoint appears as a Hugging Face Llama, with q/k rows permuted to the rotate-half convention).
 */
public interface TensorSource extends AutoCloseable {

    /** All tensor names, in a stable (sorted) order. */
    Set<String> names();

    boolean contains(String name);

    /** Shape, dtype and file of a tensor; a missing tensor is a {@link ModelFormatException} naming it. */
    TensorInfo info(String name);

    /**
     * The tensor's values as float32, row-major. F16 and BF16 are widened exactly. NaN or infinite values
     * are a {@link ModelFormatException} naming the tensor and the first bad index.
     */
    float[] readFloats(String name);

    /** {@link #readFloats} after checking the shape; a different shape is an error naming both shapes. */
    default float[] readFloats(String name, long... expectedShape) {
        TensorInfo info = info(name);
        if (!Arrays.equals(info.shape(), expectedShape)) {
            throw new ModelFormatException(info.file(), name, "shape " + Arrays.toString(info.shape())
                    + " where " + Arrays.toString(expectedShape) + " was expected");
        }
        return readFloats(name);
    }

    /**
     * Values {@code first .. first+count-1} of the tensor in row-major order, as float32: a few rows of a large
     * table (the calibration's embedding rows, the export's chunks of an 8B model's 2 GB head) without the whole.
     * This default reads the whole tensor; sources that map their files read only the range.
     */
    default float[] readRange(String name, long first, int count) {
        checkRange(name, first, count, info(name).elementCount());
        return Arrays.copyOfRange(readFloats(name), (int) first, (int) first + count);
    }

    /** Refuses a range that is not inside a tensor of {@code elements} values. */
    static void checkRange(String name, long first, int count, long elements) {
        if (first < 0 || count < 0 || first + count > elements) {
            throw new IndexOutOfBoundsException(name + ": values " + first + ".." + (first + count) + " of "
                    + elements);
        }
    }

    /** Releases the mappings; safe to call twice. */
    @Override
    void close();
}
