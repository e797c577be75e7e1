package dev.prunelab.pruning.quantize;

import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.WeightBits;

/**
 * How the exporter stores the pruned linear layers: as ONNX Runtime's {@code com.microsoft.MatMulNBits}, blockwise
 * symmetric int4 ({@link BlockQuantizer}), or not at all ({@link #FLOAT}: the export dtype's MatMul).
 *
 * @param bits          4, or null for float weights (the one encoding of {@link WeightBits}; 32 and 16 read as null)
 * @param blockSize     weights per scale along the input (a power of two, at least 16: the op's rule); 32 by default
 * @param accuracyLevel the op's {@code accuracy_level}: 4 lets the CPU provider quantize the activations to int8
 *                      per block and multiply in int8 (the fast path); 0 leaves the choice to the provider
 */
public record LinearQuantization(Integer bits, int blockSize, int accuracyLevel) {
    public static final int DEFAULT_ACCURACY_LEVEL = 4;
    /** Float weights: the linear layers stay MatMul in the export dtype. */
    public static final LinearQuantization FLOAT = new LinearQuantization(null, WeightBits.DEFAULT_BLOCK, 0);

    public LinearQuantization {
        bits = WeightBits.read(WeightBits.FIELD, bits);
        WeightBits.block(WeightBits.INT4, blockSize);
        if (accuracyLevel < 0 || accuracyLevel > 4) {
            throw new InvalidSetting("accuracyLevel", "must be in 0..4, was " + accuracyLevel);
        }
    }

    /** 4-bit with the given block and the CPU's int8 accuracy level. */
    public static LinearQuantization int4(int blockSize) {
        return new LinearQuantization(WeightBits.INT4, blockSize, DEFAULT_ACCURACY_LEVEL);
    }

    /** From a request's or a flag's {@code weightBits} and {@code weightBlock}, by the rules of {@link WeightBits}. */
    public static LinearQuantization of(Integer weightBits, Integer weightBlock) {
        Integer bits = WeightBits.read(WeightBits.FIELD, weightBits);
        Integer block = WeightBits.block(bits, weightBlock);
        return bits == null ? FLOAT : int4(block == null ? WeightBits.DEFAULT_BLOCK : block);
    }

    /** The same storage with another {@code accuracy_level} (float weights keep 0). */
    public LinearQuantization withAccuracyLevel(int level) {
        return quantized() ? new LinearQuantization(bits, blockSize, level) : this;
    }

    public boolean quantized() {
        return bits != null;
    }
}
