package dev.prunelab.gateway.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the state was rebuilt from the topics up to their end offsets at start (see {@link GatewayState}). */
@Readiness
@ApplicationScoped
public class GatewayReadiness implements HealthCheck {

    @Inject
    GatewayState state;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("gateway-state")
                .status(state.catchUp().caughtUp())
                .withData("replay", state.catchUp().describe())
                .withData("runs", state.join().all().size())
                .build();
    }
}
