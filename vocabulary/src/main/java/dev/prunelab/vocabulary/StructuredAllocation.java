package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * How the ratio is spread over layers. Uniform: every layer loses the ratio; global: one ranking over all layers,
 * a floor kept per layer; owl: each layer's ratio from its share of outlier activations (OWL, Yin et al. 2023),
 * layers with more outliers losing less, with the ratio as the mean.
 */
public enum StructuredAllocation implements Word {
    UNIFORM,
    GLOBAL,
    OWL;

    /** OWL scores layers by their activations, so it calibrates whatever the score. */
    public boolean needsCalibration() {
        return this == OWL;
    }

    /** The field that names it in requests. */
    public static final String FIELD = "allocation";

    @JsonCreator
    public static StructuredAllocation of(String id) {
        return Word.of(StructuredAllocation.class, "", "allocation", id);
    }
}
