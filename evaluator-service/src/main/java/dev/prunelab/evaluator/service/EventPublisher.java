package dev.prunelab.evaluator.service;

import dev.prunelab.events.EventSources;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.Topics;
import dev.prunelab.service.EventSender;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

/** The evaluator's channels behind the shared {@link EventSender}. */
@ApplicationScoped
public class EventPublisher {

    public static final String SOURCE = EventSources.EVALUATOR;
    private static final Logger LOG = Logger.getLogger(EventPublisher.class);

    private final EventSender sender;

    @Inject
    public EventPublisher(@Channel("model-evaluated") MutinyEmitter<String> evaluated,
                          @Channel("run-progress") MutinyEmitter<String> progress,
                          @Channel("run-failed") MutinyEmitter<String> failed,
                          @ConfigProperty(name = "prunelab.send-timeout", defaultValue = "PT60S") Duration timeout) {
        this.sender = new EventSender(SOURCE, Map.of(Topics.MODEL_EVALUATED, evaluated, Topics.RUN_PROGRESS, progress,
                Topics.RUN_FAILED, failed), timeout);
    }

    public EventSender sender() {
        return sender;
    }

    /** Progress is best effort: a lost progress event is not worth holding up the run. */
    public void progress(RunProgress event) {
        sender.sendAndForget(event, e -> LOG.warnf("could not publish progress of run %s: %s", event.runId(),
                e.getMessage()));
    }
}
