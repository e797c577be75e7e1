package dev.prunelab.cli;

import dev.prunelab.evaluation.energy.EnergyBenchmark;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.measure.PowerModel;
import dev.prunelab.measure.RaplCounter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where energy comes from and which host lock the measurement window takes (docs/energy.md). */
final class EnergyOptions {
    @Option(names = "--energy-source", defaultValue = "auto", paramLabel = "auto|nvml|rapl|estimate",
            description = "energy counter: auto takes the GPU's NVML counter for CUDA work (none without NVML: no CPU "
                    + "figure for GPU work), RAPL, else the labelled CPU-time estimate, for CPU work (default: "
                    + "${DEFAULT-VALUE})")
    String source;

    @Option(names = "--idle-watts-per-core", defaultValue = "0.74", paramLabel = "W",
            description = "estimate: an idle core's watts (default: ${DEFAULT-VALUE}, Cloud Carbon Footprint's AWS "
                    + "average per vCPU)")
    double idleWattsPerCore;

    @Option(names = "--full-watts-per-core", defaultValue = "3.5", paramLabel = "W",
            description = "estimate: a busy core's watts (default: ${DEFAULT-VALUE}, same source)")
    double fullWattsPerCore;

    @Option(names = "--host-lock", paramLabel = "DIR",
            description = "the host's measurement lock directory shared with running services (default: "
                    + "$PRUNELAB_HOST_LOCK, else none: no other lab work is paused)")
    Path hostLock;

    EnergyBenchmark.Environment environment() {
        Path lock = hostLock;
        if (lock == null && System.getenv("PRUNELAB_HOST_LOCK") != null && !System.getenv("PRUNELAB_HOST_LOCK").isBlank()) {
            lock = Path.of(System.getenv("PRUNELAB_HOST_LOCK"));
        }
        return new EnergyBenchmark.Environment(
                new EnergyCounters(source, RaplCounter.SYSFS, PowerModel.configured(idleWattsPerCore, fullWattsPerCore)),
                lock == null ? HostWorkLock.none() : HostWorkLock.at(lock));
    }
}
