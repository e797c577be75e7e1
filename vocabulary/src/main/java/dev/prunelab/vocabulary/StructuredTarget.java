package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Locale;

/** The granularity structured pruning removes. */
public enum StructuredTarget implements Word {
    /** MLP channels. */
    MLP,
    /** Attention heads (query heads per KV group with GQA). */
    HEADS,
    /** Whole decoder blocks. */
    BLOCKS,
    /** MLP channels and attention heads. */
    MLP_HEADS;

    /** A combination's id joins its parts with '+': mlp+heads. */
    @Override
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '+');
    }

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
