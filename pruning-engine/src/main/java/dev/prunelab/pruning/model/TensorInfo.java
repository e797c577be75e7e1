package dev.prunelab.pruning.model;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where one stored tensor lives: its file, dtype and shape (row-major, outermost first).
 *
 * @param name  the tensor's name in the source's naming (Hugging Face names for every source)
 * @param file  the file holding its bytes, named in every error about it
 */
public record TensorInfo(String name, DType dtype, long[] shape, Path file) {
    public TensorInfo {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("tensor name is empty");
        }
        shape = shape.clone();
        for (long dimension : shape) {
            if (dimension < 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension "
                        + Arrays.toString(shape));
            }
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dimension(int axis) {
        return shape[axis];
    }

    public long elementCount() {
        return elementCount(shape);
    }

    /** The number of elements of a tensor of this shape; an overflow is an {@link ArithmeticException}. */
    public static long elementCount(long[] shape) {
        long count = 1;
        for (long dimension : shape) {
            count = Math.multiplyExact(count, dimension);
        }
        return count;
    }

    public long sizeBytes() {
        return Math.multiplyExact(elementCount(), dtype.sizeBytes());
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " in " + file;
    }
}
