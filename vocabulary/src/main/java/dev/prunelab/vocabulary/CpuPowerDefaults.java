package dev.prunelab.vocabulary;

/**
 * The per-core power model of the labelled CPU-time energy estimate when nothing configures it: Cloud Carbon
 * Footprint's average over AWS micro-architectures (SPECpower), per vCPU. {@code ./lab eval}'s flags, every service's
 * {@code prunelab.energy.*-watts-per-core} and the docs read these.
 */
public final class CpuPowerDefaults {

    /** An idle core's watts. */
    public static final double IDLE_WATTS_PER_CORE = 0.74;
    /** A fully busy core's watts. */
    public static final double FULL_WATTS_PER_CORE = 3.5;

    private CpuPowerDefaults() {
    }
}
