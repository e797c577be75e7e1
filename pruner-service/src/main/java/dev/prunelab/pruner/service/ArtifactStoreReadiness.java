package dev.prunelab.pruner.service;

import dev.prunelab.work.ArtifactStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Files;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the artifact store can be written (the Kafka connector adds its own readiness check). */
@Readiness
@ApplicationScoped
public class ArtifactStoreReadiness implements HealthCheck {

    @Inject
    ArtifactStore store;

    @Override
    public HealthCheckResponse call() {
        boolean writable = Files.isDirectory(store.root()) && Files.isWritable(store.root());
        return HealthCheckResponse.named("artifact-store").status(writable)
                .withData("root", store.root().toString()).build();
    }
}
