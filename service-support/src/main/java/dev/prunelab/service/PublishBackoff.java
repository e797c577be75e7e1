package dev.prunelab.service;

import dev.prunelab.work.Backoff;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * How a service retries publishing an outcome ({@code prunelab.publish.*}, docs/services.md "Reliability"): each try waits for
 * the broker at most {@code prunelab.send-timeout}; after a failure the next try waits {@code backoff}, doubled each
 * time up to {@code max-backoff}; after {@code attempts} tries the outcome is left to the relay, whose passes back off
 * the same way.
 */
public class PublishBackoff {

    @Produces
    @Singleton
    Backoff publishBackoff(@ConfigProperty(name = "prunelab.publish.attempts", defaultValue = "3") int attempts,
            @ConfigProperty(name = "prunelab.publish.backoff", defaultValue = "PT1S") Duration first,
            @ConfigProperty(name = "prunelab.publish.max-backoff", defaultValue = "PT1M") Duration max) {
        return new Backoff(first, max, attempts);
    }
}
