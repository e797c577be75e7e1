package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Locale;

/** How structured units are ranked; the lowest scores are removed. */
public enum StructuredScore implements Word {
    /** L2 norm of all weights of the unit (rows it produces, columns it feeds). */
    MAGNITUDE,
    /** Sum of |W_ij| x ||X_j|| over the unit's weights, X the input of each matrix (Wanda, summed per structure). */
    WANDA_SP,
    /** FLAP: Var(x_c) x ||W_out[:, c]||^2 over the unit's input columns c of the output projection. */
    FLAP,
    /** ShortGPT: 1 - cos(block input, block output), averaged over calibration tokens. */
    BLOCK_INFLUENCE;

    /** Its ids are hyphenated: wanda-sp, block-influence. */
    @Override
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The field that names it in requests. */
    public static final String FIELD = "score";

    /** Only magnitude needs no calibration activations. */
    public boolean needsCalibration() {
        return this != MAGNITUDE;
    }

    @JsonCreator
    public static StructuredScore of(String id) {
        return Word.of(StructuredScore.class, "", "score", id);
    }
}
