package dev.prunelab.measure;

import java.io.IOException;

/**
 * A cumulative energy reading, read at the edges of a measurement window (never by integrating sampled power).
 * Sources, most trusted first: NVML's total-energy counter of a GPU, RAPL's package counters of the CPU, and a
 * labelled estimate from this process's CPU time ({@link ProcessCpuEstimate}).
 */
public interface EnergyCounter extends AutoCloseable {

    /** What a reading covers, which decides how it is attributed to the work measured. */
    enum Scope {
        /** The measuring process alone (the estimate charges this process's CPU time). */
        PROCESS,
        /** Every process of the host's CPU packages (RAPL): exact only inside an exclusive window. */
        HOST,
        /** One accelerator board (NVML): every process that uses the device. */
        DEVICE
    }

    /** "nvml", "rapl" or "estimate". */
    String source();

    /** The power device as windows and samples name it: "cpu", or a GPU board as "gpu2 (GPU-8f1c…)". */
    String device();

    /** One line: which counter or which model produced the joules. */
    String basis();

    Scope scope();

    /**
     * How often the reading changes, in seconds, as measured when the counter was opened (NVML's counter: every few
     * tens of milliseconds); 0 for a counter that changes faster than any phase it times (RAPL's about every
     * millisecond, the estimate continuously). A window shorter than a few periods reads 0 J or one whole step.
     */
    default double updatePeriodSeconds() {
        return 0;
    }

    /** Joules since this counter was opened; never decreases (wrap-around is handled inside). */
    double joules() throws IOException;

    /**
     * The part of {@code grossJoules}, spent over {@code seconds}, that the host would have drawn idle: a
     * counter subtracts its measured idle {@code baselineWatts} over the same time; the estimate its model's idle
     * share. Net energy = gross - this.
     */
    default double idleJoules(double grossJoules, double seconds, double baselineWatts) {
        return baselineWatts * seconds;
    }

    /** Releases what the counter holds (a library handle, a polling thread); safe to call twice. */
    @Override
    default void close() {
    }
}
