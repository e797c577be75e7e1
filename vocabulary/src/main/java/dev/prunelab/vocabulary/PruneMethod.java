package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;

/** The pruning methods a run can request. */
public enum PruneMethod implements Word {
    MAGNITUDE,
    WANDA,
    SPARSEGPT,
    /** Relative importance and activations (Zhang et al., ICLR 2024). */
    RIA,
    STRUCTURED;

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
