package dev.prunelab.evaluator.service;

import dev.prunelab.evaluation.energy.EnergyBenchmark;
import dev.prunelab.evaluator.app.Evaluator;
import dev.prunelab.evaluator.app.ResultStore;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.GpuDevice;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.service.ReplicaId;
import dev.prunelab.work.ArtifactStore;
import dev.prunelab.work.InputRoots;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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

    /**
     * The energy stage's counters and the host's measurement lock, as every service reads them, and the GPU chosen
     * once ({@code prunelab.evaluator.device}): the CUDA ordinal sessions run on and the board the meter reads.
     */
    @Produces
    @Singleton
    EnergyBenchmark.Environment energyEnvironment(EnergyCounters counters, HostWorkLock lock,
            @ConfigProperty(name = "prunelab.evaluator.device") int device) {
        return new EnergyBenchmark.Environment(counters, lock).withGpu(gpu(device));
    }

    /** CUDA device {@code ordinal} under this process's CUDA_VISIBLE_DEVICES; refuses a negative one at start. */
    static GpuDevice gpu(int ordinal) {
        if (ordinal < 0) {
            throw new IllegalArgumentException("prunelab.evaluator.device must be a CUDA device ordinal, 0 or more; was "
                    + ordinal);
        }
        return GpuDevice.of(ordinal);
    }

    @Produces
    @Singleton
    Evaluator evaluator(ArtifactStore store, InputRoots roots, ResultStore results, Host host,
            EnergyBenchmark.Environment energy, @ConfigProperty(name = "prunelab.evaluator.threads") int threads,
            @ConfigProperty(name = "prunelab.evaluator.spinning") boolean spinning) {
        return new Evaluator(store, roots, results, host.name(), energy, Clock.systemUTC(), threads, spinning);
    }

    /** This replica's view of the shared store (its claims carry this process's id). */
    @Produces
    @Singleton
    ArtifactStore artifactStore(@ConfigProperty(name = "prunelab.store.lease", defaultValue = "PT60S") Duration lease) {
        return new ArtifactStore(Path.of(artifactsDir), ReplicaId.of("evaluator"), lease);
    }

    @Produces
    @Singleton
    ResultStore resultStore(ArtifactStore store) {
        try {
            ResultStore results = new ResultStore(store.root());
            results.removeAbandoned(store.lease());
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
