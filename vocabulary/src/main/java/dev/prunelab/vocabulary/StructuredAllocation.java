package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Uniform: every layer loses the ratio; global: one ranking over all layers, a floor kept per layer. */
public enum StructuredAllocation implements Word {
    UNIFORM("uniform"),
    GLOBAL("global");

    private final String id;

    StructuredAllocation(String id) {
        this.id = id;
    }

    @Override
    @JsonValue
    public String id() {
        return id;
    }

    /** The field that names it in requests. */
    public static final String FIELD = "allocation";

    @JsonCreator
    public static StructuredAllocation of(String id) {
        return Word.of(StructuredAllocation.class, "", "allocation", id);
    }
}
