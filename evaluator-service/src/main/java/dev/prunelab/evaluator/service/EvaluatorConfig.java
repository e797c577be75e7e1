package dev.prunelab.evaluator.service;

import dev.prunelab.evaluator.energy.EnergyBenchmark;
import dev.prunelab.events.ArtifactStore;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.measure.PowerModel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** The service's settings: artifact store, its evaluation results, the host name of measurement windows. */
@ApplicationScoped
public class EvaluatorConfig {

    /** The host name measurement windows carry; the energy meter names its samples the same way. */
    public record Host(String name) {
    }

    @ConfigProperty(name = "prunelab.artifacts.dir")
    String artifactsDir;

    @ConfigProperty(name = "prunelab.host")
    Optional<String> host;

    @ConfigProperty(name = "prunelab.energy.source", defaultValue = "auto")
    String energySource;

    @ConfigProperty(name = "prunelab.energy.idle-watts-per-core", defaultValue = "0.74")
    double idleWattsPerCore;

    @ConfigProperty(name = "prunelab.energy.full-watts-per-core", defaultValue = "3.5")
    double fullWattsPerCore;

    @ConfigProperty(name = "prunelab.energy.powercap", defaultValue = "/sys/class/powercap")
    Path powercap;

    /** The host's measurement lock, shared with the pruners on this host; empty = no coordination. */
    @ConfigProperty(name = "prunelab.host-lock.dir")
    Optional<String> hostLockDir;

    @Produces
    @Singleton
    EnergyBenchmark.Environment energyEnvironment() {
        return new EnergyBenchmark.Environment(
                new EnergyCounters(energySource, powercap, PowerModel.configured(idleWattsPerCore, fullWattsPerCore)),
                hostLockDir.filter(d -> !d.isBlank()).map(d -> HostWorkLock.at(Path.of(d))).orElse(HostWorkLock.none()));
    }

    @Produces
    @Singleton
    ArtifactStore artifactStore() {
        return new ArtifactStore(Path.of(artifactsDir));
    }

    @Produces
    @Singleton
    ResultStore resultStore(ArtifactStore store) {
        try {
            ResultStore results = new ResultStore(store.root());
            results.removeAbandoned();
            return results;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the evaluation results under " + store.root(), e);
        }
    }

    @Produces
    @Singleton
    Host host() {
        return new Host(host.filter(h -> !h.isBlank()).orElseGet(EvaluatorConfig::localHostName));
    }

    /** Same default as the energy meter's: {@code InetAddress.getLocalHost().getHostName()}. */
    static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
