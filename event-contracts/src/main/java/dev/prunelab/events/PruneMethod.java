package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The pruning methods a run can request, written in JSON by their lower-case id. */
public enum PruneMethod {
    MAGNITUDE("magnitude"),
    WANDA("wanda"),
    SPARSEGPT("sparsegpt"),
    STRUCTURED("structured");

    private final String id;

    PruneMethod(String id) {
        this.id = id;
    }

    @JsonValue
    public String id() {
        return id;
    }

    /** Unstructured and N:M methods take {@code sparsity} or {@code pattern}; structured takes {@code structured}. */
    public boolean isStructured() {
        return this == STRUCTURED;
    }

    @JsonCreator
    public static PruneMethod of(String id) {
        for (PruneMethod m : values()) {
            if (m.id.equals(id)) {
                return m;
            }
        }
        throw new EventValidationException("", "unknown method '" + id + "' (expected "
                + Arrays.stream(values()).map(PruneMethod::id).collect(Collectors.joining("|")) + ")");
    }
}
