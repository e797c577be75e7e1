package dev.prunelab.pruning.quantize;

import dev.prunelab.vocabulary.InvalidSetting;

/**
 * How the exporter stores the pruned linear layers: as ONNX Runtime's {@code com.microsoft.MatMulNBits}, blockwise
 * symmetric int4 ({@link BlockQuantizer}), or not at all ({@link #FLOAT}: the export dtype's MatMul).
 *
 * @param bits          4, or 0 for float weights
 * @param blockSize     weights per scale along the input (a power of two, at least 16: the op's rule); 32 by default
 * @param accuracyLevel the op's {@code accuracy_level}: 4 lets the CPU provider quantize the activations to int8
 *                      per block and multiply in int8 (the fast path); 0 leaves the choice to the provider
 */
public record LinearQuantization(int bits, int blockSize, int accuracyLevel) {
    public static final String BITS_FIELD = "weightBits";
    public static final String BLOCK_FIELD = "weightBlock";
    public static final int DEFAULT_BLOCK_SIZE = 32;
    public static final int DEFAULT_ACCURACY_LEVEL = 4;
    /** Float weights: the linear layers stay MatMul in the export dtype. */
    public static final LinearQuantization FLOAT = new LinearQuantization(0, DEFAULT_BLOCK_SIZE, 0);

    public LinearQuantization {
        if (bits != 0 && bits != 4) {
            throw new InvalidSetting(BITS_FIELD, "must be 4 (int4 MatMulNBits) or absent for float weights, was " + bits);
        }
        if (blockSize < 16 || Integer.bitCount(blockSize) != 1) {
            throw new InvalidSetting(BLOCK_FIELD, "must be a power of two >= 16, was " + blockSize);
        }
        if (accuracyLevel < 0 || accuracyLevel > 4) {
            throw new InvalidSetting("accuracyLevel", "must be in 0..4, was " + accuracyLevel);
        }
    }

    /** 4-bit with the given block and the CPU's int8 accuracy level. */
    public static LinearQuantization int4(int blockSize) {
        return new LinearQuantization(4, blockSize, DEFAULT_ACCURACY_LEVEL);
    }

    /** From a request's {@code weightBits} (null, 32 or 16 = float) and {@code weightBlock} (null = 32). */
    public static LinearQuantization of(Integer weightBits, Integer weightBlock) {
        int block = weightBlock == null ? DEFAULT_BLOCK_SIZE : weightBlock;
        if (weightBits == null || weightBits == 32 || weightBits == 16) {
            if (weightBlock != null) {
                throw new InvalidSetting(BLOCK_FIELD, "is only for weightBits 4");
            }
            return FLOAT;
        }
        return new LinearQuantization(weightBits, block, DEFAULT_ACCURACY_LEVEL);   // refuses any width but 4
    }

    /** The same storage with another {@code accuracy_level} (float weights keep 0). */
    public LinearQuantization withAccuracyLevel(int level) {
        return quantized() ? new LinearQuantization(bits, blockSize, level) : this;
    }

    public boolean quantized() {
        return bits > 0;
    }
}
