package dev.prunelab.measure;

import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Not a sensor: energy estimated from this process's own CPU time under a {@link PowerModel}. Every
 * CPU-second the process used is charged {@code fullWattsPerCore} joules (the core was busy for it); its idle
 * share is {@code idleWattsPerCore} per CPU-second, so net = CPU seconds x (full - idle). Work of other
 * processes never lands here, whatever the machine is doing; idle time of the process costs nothing.
 *
 * <p>CPU time is the process CPU clock ({@link ProcessCpuClock}: {@code CLOCK_PROCESS_CPUTIME_ID}, every thread,
 * ONNX Runtime's native ones included, nanosecond resolution).
 */
public final class ProcessCpuEstimate implements EnergyCounter {

    private final PowerModel model;
    private final LongSupplier cpuNanos;
    private final long startNanos;

    public ProcessCpuEstimate(PowerModel model) {
        this(model, ProcessCpuEstimate::processCpuNanos);
    }

    /** @param cpuNanos the process's CPU time in nanoseconds, non-decreasing (tests pass their own clock) */
    public ProcessCpuEstimate(PowerModel model, LongSupplier cpuNanos) {
        this.model = model;
        this.cpuNanos = cpuNanos;
        this.startNanos = cpuNanos.getAsLong();
    }

    /** This process's CPU time so far, nanoseconds ({@link ProcessCpuClock}). */
    public static long processCpuNanos() {
        return ProcessCpuClock.nanos();
    }

    public PowerModel model() {
        return model;
    }

    /** CPU seconds of the process since this counter was opened. */
    public double cpuSeconds() {
        return (cpuNanos.getAsLong() - startNanos) / 1e9;
    }

    @Override
    public String source() {
        return "estimate";
    }

    @Override
    public String device() {
        return "cpu";
    }

    @Override
    public String basis() {
        return String.format(Locale.ROOT, "estimate, no power sensor read: this process's CPU time x %.2f W per busy "
                + "core (idle %.2f W per core), %s", model.fullWattsPerCore(), model.idleWattsPerCore(), model.name());
    }

    @Override
    public Scope scope() {
        return Scope.PROCESS;
    }

    @Override
    public double joules() {
        return cpuSeconds() * model.fullWattsPerCore();
    }

    /** The model's idle share of the charged CPU-seconds; the host's measured baseline plays no part. */
    @Override
    public double idleJoules(double grossJoules, double seconds, double baselineWatts) {
        return grossJoules * model.idleWattsPerCore() / model.fullWattsPerCore();
    }
}
