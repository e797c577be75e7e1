package dev.prunelab.evaluator.service;

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
 * What the evaluator publishes, through the shared {@link EventSender}: each run's outcome (model.evaluated, or
 * run.failed and the dead letters), awaited until the broker took it; and its progress (run.progress), best effort.
 */
@ApplicationScoped
public class EvaluationOutcomePublisher {

    public static final String SOURCE = EventSources.EVALUATOR;

    private final EventSender sender;

    @Inject
    public EvaluationOutcomePublisher(@Channel("model-evaluated") MutinyEmitter<String> evaluated,
                                      @Channel("run-progress") MutinyEmitter<String> progress,
                                      @Channel("run-failed") MutinyEmitter<String> failed,
                                      @ConfigProperty(name = "prunelab.send-timeout", defaultValue = "PT60S")
                                      Duration timeout) {
        this.sender = new EventSender(SOURCE, Map.of(Topics.MODEL_EVALUATED, evaluated, Topics.RUN_PROGRESS, progress,
                Topics.RUN_FAILED, failed), timeout);
    }

    public EventSender sender() {
        return sender;
    }
}
