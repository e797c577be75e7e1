package dev.prunelab.pruning.quantize;

import dev.prunelab.vocabulary.InvalidSetting;
import java.util.Map;
import java.util.Set;
import dev.prunelab.vocabulary.WeightBits;
import dev.prunelab.vocabulary.WeightQuantizer;

/**
 * How the exporter stores the pruned linear layers: as ONNX Runtime's {@code com.microsoft.MatMulNBits}, blockwise
 * int4 ({@link BlockQuantizer}: symmetric, or asymmetric with zero points), or not at all ({@link #FLOAT}: the export dtype's MatMul).
 *
 * @param bits          4, or null for float weights (the one encoding of {@link WeightBits}; 32 and 16 read as null)
 * @param blockSize     weights per scale along the input (a power of two, at least 16: the op's rule); 32 by default
 * @param accuracyLevel the op's {@code accuracy_level}: 4 lets the CPU provider quantize the activations to int8
 *                      per block and multiply in int8 (the fast path); 0 leaves the choice to the provider
 * @param quantizer     how the codes are chosen ({@link WeightQuantizer#DEFAULT}: symmetric round to nearest)
 * @param precomputed   blocks already chosen by module path (GPTQ's, made by the prune with its calibration), written
 *                      as they are instead of rounding the weights; empty otherwise
 * @param floatModules  linear modules kept float among 4-bit ones (the blocks a weight budget's search kept float);
 *                      empty otherwise
 */
public record LinearQuantization(Integer bits, int blockSize, int accuracyLevel, WeightQuantizer quantizer,
        Map<String, BlockQuantizer.Quantized> precomputed, Set<String> floatModules) {
    public static final int DEFAULT_ACCURACY_LEVEL = 4;
    /** Float weights: the linear layers stay MatMul in the export dtype. */
    public static final LinearQuantization FLOAT = new LinearQuantization(null, WeightBits.DEFAULT_BLOCK, 0);

    public LinearQuantization {
        bits = WeightBits.read(WeightBits.FIELD, bits);
        WeightBits.block(WeightBits.INT4, blockSize);
        if (accuracyLevel < 0 || accuracyLevel > 4) {
            throw new InvalidSetting("accuracyLevel", "must be in 0..4, was " + accuracyLevel);
        }
        // float storage carries the default; any other quantizer needs int4 weights
        quantizer = quantizer == WeightQuantizer.DEFAULT ? quantizer : WeightQuantizer.check(bits, quantizer);
        precomputed = precomputed == null ? Map.of() : Map.copyOf(precomputed);
        floatModules = floatModules == null ? Set.of() : Set.copyOf(floatModules);
    }

    /** Every linear module as {@code bits} says. */
    public LinearQuantization(Integer bits, int blockSize, int accuracyLevel, WeightQuantizer quantizer,
            Map<String, BlockQuantizer.Quantized> precomputed) {
        this(bits, blockSize, accuracyLevel, quantizer, precomputed, null);
    }

    /** With the default quantizer (symmetric round to nearest). */
    public LinearQuantization(Integer bits, int blockSize, int accuracyLevel) {
        this(bits, blockSize, accuracyLevel, null, null);
    }

    /** Nothing precomputed. */
    public LinearQuantization(Integer bits, int blockSize, int accuracyLevel, WeightQuantizer quantizer) {
        this(bits, blockSize, accuracyLevel, quantizer, null);
    }

    /** The same storage with these modules' blocks already chosen (GPTQ's). */
    public LinearQuantization withPrecomputed(Map<String, BlockQuantizer.Quantized> blocks) {
        return quantized() ? new LinearQuantization(bits, blockSize, accuracyLevel, quantizer, blocks, floatModules)
                : this;
    }

    /** The same storage with these linear modules kept float. */
    public LinearQuantization withFloatModules(Set<String> modules) {
        return quantized() ? new LinearQuantization(bits, blockSize, accuracyLevel, quantizer, precomputed, modules)
                : this;
    }

    /**
     * Bytes of an [out, in] linear weight in the export: 4-bit blocks (half a byte a weight, a scale per block in the
     * export's float width, and with zero points half a byte a block) or, float, {@code floatBytes} a weight.
     */
    public long exportBytes(long out, long in, int floatBytes, boolean asFloat) {
        if (!quantized() || asFloat) {
            return out * in * floatBytes;
        }
        long blocks = (in + blockSize - 1) / blockSize;
        long zeroPoints = quantizer.symmetric() ? 0 : out * ((blocks + 1) / 2);
        return out * blocks * (blockSize / 2) + out * blocks * floatBytes + zeroPoints;
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

    /** As {@link #of(Integer, Integer)}, with the request's or flag's {@code weightQuantizer} (null: the default). */
    public static LinearQuantization of(Integer weightBits, Integer weightBlock, WeightQuantizer quantizer) {
        LinearQuantization q = of(weightBits, weightBlock);
        WeightQuantizer.check(q.bits(), quantizer);
        return quantizer == null ? q : new LinearQuantization(q.bits(), q.blockSize(), q.accuracyLevel(), quantizer);
    }

    /** The same storage with another {@code accuracy_level} (float weights keep 0). */
    public LinearQuantization withAccuracyLevel(int level) {
        return quantized() ? new LinearQuantization(bits, blockSize, level, quantizer, precomputed, floatModules)
                : this;
    }

    public boolean quantized() {
        return bits != null;
    }
}
