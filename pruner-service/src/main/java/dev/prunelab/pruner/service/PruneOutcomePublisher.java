package dev.prunelab.pruner.service;

import dev.prunelab.events.EventSources;
import dev.prunelab.events.Topics;
import dev.prunelab.service.EventSender;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * What the pruner publishes, through the shared {@link EventSender}: each run's outcome (model.pruned, or run.failed
 * and the dead letters), awaited until the broker acknowledged it, so the request that produced it is acknowledged
 * only after (at-least-once); and its progress (run.progress), best effort.
 */
@ApplicationScoped
public class PruneOutcomePublisher {
    static final String SOURCE = EventSources.PRUNER;

    private final EventSender sender;

    @Inject
    public PruneOutcomePublisher(@Channel(PrunerChannels.RUN_PROGRESS) MutinyEmitter<String> progress,
                          @Channel(PrunerChannels.MODEL_PRUNED) MutinyEmitter<String> pruned,
                          @Channel(PrunerChannels.RUN_FAILED) MutinyEmitter<String> failed,
                          @ConfigProperty(name = "prunelab.send-timeout", defaultValue = "PT60S") Duration timeout) {
        this.sender = new EventSender(SOURCE, Map.of(Topics.RUN_PROGRESS, progress, Topics.MODEL_PRUNED, pruned,
                Topics.RUN_FAILED, failed), timeout);
    }

    public EventSender sender() {
        return sender;
    }
}
