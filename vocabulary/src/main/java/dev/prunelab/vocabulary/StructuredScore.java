package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How structured units are ranked; the lowest scores are removed. */
public enum StructuredScore implements Word {
    /** L2 norm of all weights of the unit (rows it produces, columns it feeds). */
    MAGNITUDE("magnitude"),
    /** Sum of |W_ij| x ||X_j|| over the unit's weights, X the input of each matrix (Wanda, summed per structure). */
    WANDA_SP("wanda-sp"),
    /** FLAP: Var(x_c) x ||W_out[:, c]||^2 over the unit's input columns c of the output projection. */
    FLAP("flap"),
    /** ShortGPT: 1 - cos(block input, block output), averaged over calibration tokens. */
    BLOCK_INFLUENCE("block-influence");

    private final String id;

    StructuredScore(String id) {
        this.id = id;
    }

    @Override
    @JsonValue
    public String id() {
        return id;
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
