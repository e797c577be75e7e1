package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The pruning methods a run can request. */
public enum PruneMethod implements Word {
    MAGNITUDE("magnitude"),
    WANDA("wanda"),
    SPARSEGPT("sparsegpt"),
    /** Relative importance and activations (Zhang et al., ICLR 2024). */
    RIA("ria"),
    STRUCTURED("structured");

    private final String id;

    PruneMethod(String id) {
        this.id = id;
    }

    @Override
    @JsonValue
    public String id() {
        return id;
    }

    /** The field that names it in requests. */
    public static final String FIELD = "method";

    /** Unstructured and N:M methods take a sparsity or a pattern; structured takes a target, ratio and score. */
    public boolean isStructured() {
        return this == STRUCTURED;
    }

    @JsonCreator
    public static PruneMethod of(String id) {
        return Word.of(PruneMethod.class, "", "method", id);
    }
}
