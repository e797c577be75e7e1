package dev.prunelab.service;

import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.measure.PowerModel;
import dev.prunelab.vocabulary.CpuPowerDefaults;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalDouble;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The energy settings every service reads the same way (docs/energy.md): the estimate's per-core watts, where the
 * watts come from, and the host's measurement lock shared by the pruners and the evaluator of a host.
 */
public class EnergyBeans {

    /** The estimate's per-core watts; unset or empty (application.properties' default) = {@link CpuPowerDefaults}. */
    @Produces
    @Singleton
    PowerModel powerModel(@ConfigProperty(name = "prunelab.energy.idle-watts-per-core") OptionalDouble idleWatts,
            @ConfigProperty(name = "prunelab.energy.full-watts-per-core") OptionalDouble fullWatts) {
        return PowerModel.configured(idleWatts.orElse(CpuPowerDefaults.IDLE_WATTS_PER_CORE),
                fullWatts.orElse(CpuPowerDefaults.FULL_WATTS_PER_CORE));
    }

    /** auto (NVML for GPU work, else RAPL, else the estimate), nvml, rapl or estimate. */
    @Produces
    @Singleton
    EnergyCounters energyCounters(PowerModel model,
            @ConfigProperty(name = "prunelab.energy.source", defaultValue = "auto") String source,
            @ConfigProperty(name = "prunelab.energy.powercap", defaultValue = "/sys/class/powercap") Path powercap) {
        return new EnergyCounters(source, powercap, model);
    }

    /** The lock directory shared with the other lab processes of this host; absent or empty: no coordination. */
    @Produces
    @Singleton
    HostWorkLock hostWorkLock(@ConfigProperty(name = "prunelab.host-lock.dir") Optional<String> directory) {
        return directory.filter(d -> !d.isBlank()).map(d -> HostWorkLock.at(Path.of(d))).orElse(HostWorkLock.none());
    }
}
