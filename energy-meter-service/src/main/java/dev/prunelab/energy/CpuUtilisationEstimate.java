package dev.prunelab.energy;

import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.measure.HostCpu;
import dev.prunelab.measure.PowerModel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Not a sensor: the host's CPU power estimated for dashboards under Cloud Carbon Footprint's compute model,
 * watts = cores x (idle + utilisation x (full - idle)) per core, utilisation 1 - Δidle / Δtotal of
 * {@code /proc/stat}'s aggregate line between two ticks. A host at rest draws its cores' idle watts, not zero, and
 * a busy one its full watts, not a TDP. Samples are published with source {@code estimate} and this basis. Runs
 * are never charged from these samples: their energy is read by the evaluator and the pruner at their own windows.
 */
public final class CpuUtilisationEstimate implements PowerSource {

    private final Path procStat;
    private final PowerModel model;
    private final int cores;
    private HostCpu.Times previous;

    public CpuUtilisationEstimate(Path procStat, PowerModel model, int cores) {
        if (cores < 1) {
            throw new IllegalArgumentException("cores " + cores + " must be positive");
        }
        this.procStat = procStat;
        this.model = model;
        this.cores = cores;
    }

    @Override
    public String device() {
        return "cpu";
    }

    @Override
    public EnergySource kind() {
        return EnergySource.ESTIMATE;
    }

    @Override
    public String basis() {
        return String.format(Locale.ROOT, "estimate, no power sensor: %d cores x (%.2f W + CPU utilisation from %s x "
                        + "%.2f W), %s", cores, model.idleWattsPerCore(), procStat,
                model.fullWattsPerCore() - model.idleWattsPerCore(), model.name());
    }

    @Override
    public synchronized OptionalDouble sampleWatts(Instant now) throws IOException {
        HostCpu.Times current = HostCpu.read(procStat);
        HostCpu.Times before = previous;
        previous = current;
        if (before == null || current.total() <= before.total()) {
            return OptionalDouble.empty();
        }
        double utilisation = HostCpu.utilisation(before, current);
        return OptionalDouble.of(cores * (model.idleWattsPerCore()
                + utilisation * (model.fullWattsPerCore() - model.idleWattsPerCore())));
    }
}
