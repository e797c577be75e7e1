package dev.prunelab.vocabulary;

/**
 * The width of the pruned linear layers' weights in an export, one rule for the requests, the command line and the
 * engine: float in the export's dtype, or 4 for int4 blocks of {@code weightBlock} weights per scale (ONNX Runtime's
 * {@code com.microsoft.MatMulNBits}).
 *
 * <p>Float has one encoding: absent ({@code null}). The older spellings 32 and 16 (a sweep's list of widths, where
 * an absent element cannot stand, and earlier requests) are read as float.
 */
public final class WeightBits {

    /** The fields that name the width and the block in requests. */
    public static final String FIELD = "weightBits";
    public static final String BLOCK_FIELD = "weightBlock";

    /** The one quantized width. */
    public static final int INT4 = 4;
    /** How a list of widths (a sweep's) writes float weights. */
    public static final int FLOAT_IN_A_LIST = 32;
    /** Weights per int4 scale when a request gives none. */
    public static final int DEFAULT_BLOCK = 32;

    private static final int HALF_WIDTH = 16;
    private static final int MIN_BLOCK = 16;

    private WeightBits() {
    }

    /** {@code null} (float) or {@link #INT4}; 32 and 16 read as float; any other width refused naming {@code field}. */
    public static Integer read(String field, Integer bits) {
        if (bits == null || bits == FLOAT_IN_A_LIST || bits == HALF_WIDTH) {
            return null;
        }
        if (bits != INT4) {
            throw new InvalidSetting(field, "must be 4 (int4 MatMulNBits), or absent (32 in a list) for float "
                    + "weights, was " + bits);
        }
        return bits;
    }

    /**
     * The block as given ({@code null}: {@link #DEFAULT_BLOCK}), checked against the width already {@link #read}:
     * only int4 weights have blocks, each a power of two of at least 16 weights (the operator's rule).
     */
    public static Integer block(Integer bits, Integer block) {
        if (block == null) {
            return null;
        }
        if (bits == null) {
            throw new InvalidSetting(BLOCK_FIELD, "is only for weightBits 4");
        }
        if (block < MIN_BLOCK || Integer.bitCount(block) != 1) {
            throw new InvalidSetting(BLOCK_FIELD, "must be a power of two >= 16, was " + block);
        }
        return block;
    }
}
