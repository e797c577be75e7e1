package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How int4 weights ({@link WeightBits#INT4}) are rounded onto their blocks' grids. Only for {@code weightBits 4}
 * ({@link #check}); {@link #DEFAULT} when a request or a flag names none.
 */
public enum WeightQuantizer implements Word {
    /**
     * Round to nearest on a symmetric grid: scale = max|w| / 7, no zero-point tensor (the op's default 8), so 0 is
     * exactly 0. The exports written before the quantizer could be chosen.
     */
    RTN_SYMMETRIC("rtn-symmetric", "rtn", true),
    /**
     * Round to nearest on an asymmetric grid: per block a scale and a zero point zp in 0..15 spanning [min, max] of
     * the block with 0 included, 0 landing exactly on the code zp (so pruned zeros stay exactly 0).
     */
    RTN_ASYMMETRIC("rtn-asymmetric", "rtn", false),
    /**
     * GPTQ (Frantar et al. 2022) on the asymmetric grids: columns in order, each rounding error compensated in the
     * later columns through the inverse Hessian of the calibration inputs; needs calibration, so only a prune runs it
     * (after the method, keeping its mask).
     */
    GPTQ("gptq", "gptq", false);

    /** The field that names it in requests. */
    public static final String FIELD = "weightQuantizer";
    /** The quantizer of a request that names none. */
    public static final WeightQuantizer DEFAULT = RTN_SYMMETRIC;

    private final String id;
    private final String rounding;
    private final boolean symmetric;

    WeightQuantizer(String id, String rounding, boolean symmetric) {
        this.id = id;
        this.rounding = rounding;
        this.symmetric = symmetric;
    }

    @Override
    @JsonValue
    public String id() {
        return id;
    }

    /** How codes are chosen, as the model card writes it: "rtn" (round to nearest) or "gptq". */
    public String rounding() {
        return rounding;
    }

    /** True: no zero points are stored (the op's default 8 for 4 bits). */
    public boolean symmetric() {
        return symmetric;
    }

    @JsonCreator
    public static WeightQuantizer of(String id) {
        return Word.of(WeightQuantizer.class, "", "weight quantizer", id);
    }

    /**
     * The quantizer as given ({@code null}: {@link #DEFAULT}), checked against the width already
     * {@link WeightBits#read}: float weights take none.
     */
    public static WeightQuantizer check(Integer bits, WeightQuantizer quantizer) {
        if (quantizer == null) {
            return DEFAULT;
        }
        if (bits == null) {
            throw new InvalidSetting(FIELD, quantizer.id + " is only for weightBits 4 (the weights are float)");
        }
        return quantizer;
    }
}
