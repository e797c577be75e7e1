package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * How the ratio is spread over layers. Uniform: every layer loses the ratio; global: one ranking over all layers,
 * a floor kept per layer; owl: each layer's ratio from its share of outlier activations (OWL, Yin et al. 2023),
 * layers with more outliers losing less, with the ratio as the mean; search: each layer's ratio found by search.
 */
public enum StructuredAllocation implements Word {
    UNIFORM,
    GLOBAL,
    OWL,
    /**
     * Each layer's ratio found by an evolutionary search (EvoPress) scored by KL divergence from the dense model, the
     * ratio as the mean.
     */
    SEARCH;

    /** OWL scores layers by their activations and the search by the model's outputs: both calibrate. */
    public boolean needsCalibration() {
        return this == OWL || this == SEARCH;
    }

    /** The field that names it in requests. */
    public static final String FIELD = "allocation";

    @JsonCreator
    public static StructuredAllocation of(String id) {
        return Word.of(StructuredAllocation.class, "", "allocation", id);
    }
}
