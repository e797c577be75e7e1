package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How unstructured sparsity is spread over the layers. */
public enum LayerSparsity implements Word {
    /** Every layer the requested sparsity. */
    UNIFORM("uniform"),
    /** OWL: by each layer's share of outlier Wanda scores, the mean equal to the target. */
    OWL("owl");

    private final String id;

    LayerSparsity(String id) {
        this.id = id;
    }

    @Override
    @JsonValue
    public String id() {
        return id;
    }

    /** The field that names it in requests. */
    public static final String FIELD = "layerSparsity";

    @JsonCreator
    public static LayerSparsity of(String id) {
        return Word.of(LayerSparsity.class, "", "layer sparsity", id);
    }
}
