package dev.prunelab.evaluation.energy;

import dev.prunelab.evaluation.energy.EnergyBenchmark.Repeat;
import dev.prunelab.measure.EnergyCounter;
import dev.prunelab.measure.HostCpu;
import dev.prunelab.measure.PowerModel;
import dev.prunelab.measure.ProcessCpuEstimate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/** The counter's power while this process sleeps, and how busy the host was meanwhile. */
record IdleBaseline(double seconds, double watts, Double hostUtilisation) {

    /** Sleeps {@code seconds} (none for 0) with the counter read at both ends, timed by {@code clock}. */
    static IdleBaseline measure(EnergyCounter counter, double seconds, LongSupplier clock) {
        try {
            HostCpu.Times hostBefore = hostTimes();
            long start = clock.getAsLong();
            double before = counter.joules();
            if (seconds > 0) {
                Thread.sleep(Math.round(seconds * 1000));
            }
            double after = counter.joules();
            double elapsed = (clock.getAsLong() - start) / 1e9;
            HostCpu.Times hostAfter = hostTimes();
            Double utilisation = hostBefore == null || hostAfter == null ? null
                    : HostCpu.utilisation(hostBefore, hostAfter);
            return new IdleBaseline(elapsed, elapsed > 0 ? Math.max(0, after - before) / elapsed : 0, utilisation);
        } catch (IOException e) {
            throw new UncheckedIOException("energy: the counter failed during the idle baseline", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("energy: interrupted during the idle baseline", e);
        }
    }

    private static HostCpu.Times hostTimes() {
        try {
            return HostCpu.read(HostCpu.PROC_STAT);
        } catch (IOException | RuntimeException e) {
            return null; // not Linux: the baseline just has no utilisation figure
        }
    }

    /**
     * The idle power the net figures subtract, as reported. A host or device counter measured it over the sleep. The
     * estimate charges this process alone, so the sleeping process's own CPU time (its JIT and GC) is no baseline:
     * its idle share is the power model's idle watts per core x the cores it charged over the repeats (CPU-seconds
     * per second), which is exactly what {@link EnergyCounter#idleJoules} subtracted from each phase.
     */
    EnergySummary.Baseline reported(EnergyCounter counter, List<Repeat> repeats) {
        if (counter.scope() != EnergyCounter.Scope.PROCESS) {
            return new EnergySummary.Baseline(seconds, watts, hostUtilisation,
                    String.format(Locale.ROOT, "measured: the %s counter's mean power over %.1f s with this process "
                            + "asleep", counter.source(), seconds));
        }
        double idleJoules = 0;
        double repeatSeconds = 0;
        for (Repeat r : repeats) {
            idleJoules += r.prefillIdleJoules() + r.decodeIdleJoules();
            repeatSeconds += r.prefillSeconds() + r.decodeSeconds();
        }
        double idleWatts = repeatSeconds > 0 ? idleJoules / repeatSeconds : 0;
        String basis;
        if (counter instanceof ProcessCpuEstimate estimate) {
            PowerModel model = estimate.model();
            basis = String.format(Locale.ROOT, "not measured: the estimate's idle share, %.2f W per core x %.2f cores "
                    + "charged (this process's CPU-seconds per second of the repeats); net = gross x (1 - %.2f / %.2f)",
                    model.idleWattsPerCore(), idleWatts / model.idleWattsPerCore(), model.idleWattsPerCore(),
                    model.fullWattsPerCore());
        } else {
            basis = "not measured: the " + counter.source() + " model's idle share of the repeats' joules per second";
        }
        return new EnergySummary.Baseline(seconds, idleWatts, hostUtilisation, basis);
    }
}
