package dev.prunelab.pruner.app;

import dev.prunelab.events.EnergyUse;
import dev.prunelab.measure.EnergyCounter;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.HostCpu;
import dev.prunelab.measure.ProcessCpuEstimate;
import dev.prunelab.vocabulary.EnergySource;
import java.io.IOException;
import java.util.Locale;

/**
 * The pruner's own energy for one run (docs/energy.md "The pruner's energy and break-even"), read from an energy counter at the run's edges and
 * attributed to this process: the estimate charges this process's CPU time only; a host counter (RAPL) is
 * scaled by this process's share of the host's busy CPU time over the run, because evaluations may overlap a
 * prune (outside their exclusive windows). Time the run spent paused for a measurement window costs nothing
 * under the estimate and is left out of the share under a counter.
 */
final class RunEnergy implements AutoCloseable {

    private final EnergyCounter counter;
    private final long startNanos;
    private final long startCpuNanos;
    private final HostCpu.Times startHost;
    private final double startJoules;

    private RunEnergy(EnergyCounter counter) throws IOException {
        this.counter = counter;
        this.startHost = hostTimes();
        this.startCpuNanos = ProcessCpuEstimate.processCpuNanos();
        this.startNanos = System.nanoTime();
        this.startJoules = counter.joules();
    }

    /** Starts measuring with the counter chosen for CPU work; null when even that fails (the run goes on). */
    static RunEnergy start(EnergyCounters counters) {
        try {
            return new RunEnergy(counters.select(-1).counter());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The energy since {@link #start}; null when the counter failed meanwhile. */
    EnergyUse finish() {
        try {
            double joules = counter.joules() - startJoules;
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            double cpuSeconds = (ProcessCpuEstimate.processCpuNanos() - startCpuNanos) / 1e9;
            EnergySource source = EnergySource.of(counter.source());
            if (counter.scope() == EnergyCounter.Scope.PROCESS) {
                double idle = counter.idleJoules(joules, seconds, 0);
                return new EnergyUse(source, counter.basis(), seconds, joules, joules - idle, cpuSeconds,
                        "this process's CPU time only");
            }
            HostCpu.Times endHost = hostTimes();
            double share = share(cpuSeconds, startHost, endHost);
            double attributed = joules * share;
            return new EnergyUse(source, counter.basis(), seconds, attributed, attributed, cpuSeconds,
                    String.format(Locale.ROOT, "the counter's %.1f J x this process's share %.3f of the host's busy "
                            + "CPU time (no idle baseline: net = gross)", joules, share));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** This process's CPU seconds over the host's busy CPU seconds (/proc/stat counts USER_HZ = 100 ticks/s). */
    static double share(double cpuSeconds, HostCpu.Times before, HostCpu.Times after) {
        if (before == null || after == null) {
            return 1;
        }
        double hostBusySeconds = (after.busy() - before.busy()) / 100.0;
        return hostBusySeconds <= 0 ? 1 : Math.min(1, cpuSeconds / hostBusySeconds);
    }

    private static HostCpu.Times hostTimes() {
        try {
            return HostCpu.read(HostCpu.PROC_STAT);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public void close() {
        counter.close();
    }
}
