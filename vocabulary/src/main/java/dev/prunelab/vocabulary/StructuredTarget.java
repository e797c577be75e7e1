package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The granularity structured pruning removes. */
public enum StructuredTarget implements Word {
    /** MLP channels. */
    MLP("mlp"),
    /** Attention heads (query heads per KV group with GQA). */
    HEADS("heads"),
    /** Whole decoder blocks. */
    BLOCKS("blocks"),
    /** MLP channels and attention heads. */
    MLP_HEADS("mlp+heads");

    private final String id;

    StructuredTarget(String id) {
        this.id = id;
    }

    @Override
    @JsonValue
    public String id() {
        return id;
    }

    /** The field that names it in requests. */
    public static final String FIELD = "target";

    public boolean mlp() {
        return this == MLP || this == MLP_HEADS;
    }

    public boolean heads() {
        return this == HEADS || this == MLP_HEADS;
    }

    @JsonCreator
    public static StructuredTarget of(String id) {
        return Word.of(StructuredTarget.class, "", "target", "heads+mlp".equals(id) ? "mlp+heads" : id);
    }
}
