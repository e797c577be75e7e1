package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Where a power number came from. Only {@code estimate} is not a measurement. */
public enum PowerSourceKind {
    /** NVIDIA's management library (directly, or through nvidia-smi which reads it). */
    NVML("nvml"),
    /** Intel/AMD RAPL energy counters under /sys/class/powercap. */
    RAPL("rapl"),
    /** A model, not a sensor: the sample's {@code basis} says which. */
    ESTIMATE("estimate");

    private final String id;

    PowerSourceKind(String id) {
        this.id = id;
    }

    @JsonValue
    public String id() {
        return id;
    }

    @JsonCreator
    public static PowerSourceKind of(String id) {
        for (PowerSourceKind k : values()) {
            if (k.id.equals(id)) {
                return k;
            }
        }
        throw new EventValidationException("", "unknown source '" + id + "' (expected nvml|rapl|estimate)");
    }
}
