package dev.prunelab.evaluator.service;

import dev.prunelab.events.ArtifactStore;
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
