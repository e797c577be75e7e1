package dev.prunelab.energy.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/** Live while sampling works (fewer than max-failed-ticks failed ticks in a row); ready once sampling started. */
public final class SamplerHealth {

    private SamplerHealth() {
    }

    static HealthCheckResponseBuilder details(HealthCheckResponseBuilder builder, EnergyMeter meter) {
        builder.withData("host", String.valueOf(meter.host()))
                .withData("ticks", meter.ticks())
                .withData("consecutiveFailedTicks", meter.consecutiveFailedTicks());
        if (meter.selection() != null) {
            builder.withData("sources", String.join("; ", meter.selection().reasons()));
        }
        if (meter.lastFailure() != null) {
            builder.withData("lastFailure", meter.lastFailure());
        }
        return builder;
    }

    @Liveness
    @ApplicationScoped
    public static class Live implements HealthCheck {
        @Inject
        EnergyMeter meter;

        @Override
        public HealthCheckResponse call() {
            boolean up = meter.consecutiveFailedTicks() < meter.maxFailedTicks();
            return details(HealthCheckResponse.named("power-sampling"), meter).status(up).build();
        }
    }

    @Readiness
    @ApplicationScoped
    public static class Ready implements HealthCheck {
        @Inject
        EnergyMeter meter;

        @Override
        public HealthCheckResponse call() {
            return details(HealthCheckResponse.named("power-sampler-started"), meter).status(meter.started()).build();
        }
    }
}
