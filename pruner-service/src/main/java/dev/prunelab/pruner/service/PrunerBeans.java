package dev.prunelab.pruner.service;

import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.pruner.app.Pruner;
import dev.prunelab.pruning.memory.MemoryBudget;
import dev.prunelab.service.ReplicaId;
import dev.prunelab.work.ArtifactStore;
import dev.prunelab.work.InputRoots;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** The artifact store and the pruner's plain-Java core, configured from application.properties. */
public class PrunerBeans {
    private static final Logger LOG = Logger.getLogger(PrunerBeans.class);

    /** This replica's view of the shared store: its owner id names the pod (or host) and the process. */
    @Produces
    @Singleton
    ArtifactStore store(@ConfigProperty(name = "prunelab.artifacts.dir") Path root,
            @ConfigProperty(name = "prunelab.store.lease", defaultValue = "PT60S") Duration lease) {
        return new ArtifactStore(root, ReplicaId.of("pruner"), lease);
    }

    /**
     * Created before the first request is consumed: removes what a pruner killed mid-run left behind (its
     * staging directory), so the store holds only complete artifacts.
     */
    @Produces
    @Singleton
    Pruner pruner(ArtifactStore store, @ConfigProperty(name = "prunelab.pruner.threads") int threads,
            @ConfigProperty(name = "prunelab.pruner.max-memory") Optional<String> maxMemory,
            EnergyCounters energy, HostWorkLock hostLock, InputRoots roots) {
        // a malformed limit stops the service at start, naming the property
        Long maxMemoryBytes = maxMemory.filter(s -> !s.isBlank())
                .map(s -> MemoryBudget.parseBytes("prunelab.pruner.max-memory", s)).orElse(null);
        try {
            int removed = store.removeAbandoned();
            if (removed > 0) {
                LOG.infof("removed %d abandoned staging director%s (heartbeat older than %s) from %s", removed,
                        removed == 1 ? "y" : "ies", store.lease(), store.root());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean the artifact store " + store.root(), e);
        }
        return new Pruner(store, roots, Clock.systemUTC(), threads, energy, hostLock, maxMemoryBytes);
    }
}
