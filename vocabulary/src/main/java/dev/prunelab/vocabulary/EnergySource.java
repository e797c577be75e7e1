package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;

/** Where energy and power figures come from. Only the estimate is not a measurement. */
public enum EnergySource implements Word {
    /** NVIDIA's management library: a GPU's total-energy counter. */
    NVML,
    /** Intel/AMD RAPL energy counters under /sys/class/powercap. */
    RAPL,
    /** A model, not a sensor: its basis says which. */
    ESTIMATE;

    @JsonCreator
    public static EnergySource of(String id) {
        return Word.of(EnergySource.class, "", "source", id);
    }
}
