package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;

/** How unstructured sparsity is spread over the layers. */
public enum LayerSparsity implements Word {
    /** Every layer the requested sparsity. */
    UNIFORM,
    /** OWL: by each layer's share of outlier Wanda scores, the mean equal to the target. */
    OWL,
    /**
     * Each layer's level found by an evolutionary search (EvoPress) that scores candidates by their KL divergence
     * from the dense model, the mean equal to the target.
     */
    SEARCH;

    /** The field that names it in requests. */
    public static final String FIELD = "layerSparsity";

    @JsonCreator
    public static LayerSparsity of(String id) {
        return Word.of(LayerSparsity.class, "", "layer sparsity", id);
    }
}
