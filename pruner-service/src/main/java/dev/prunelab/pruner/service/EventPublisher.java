package dev.prunelab.pruner.service;

import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.Topics;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

/**
 * Publishes events as EventCodec JSON, keyed by {@link Event#key()}, with the CloudEvents headers, on the
 * channel of their type. Results are awaited until the broker acknowledged them, so the request that produced
 * them is acknowledged only after (at-least-once).
 */
@ApplicationScoped
public class EventPublisher {
    static final String SOURCE = "/prunelab/pruner-service";
    private static final Logger LOG = Logger.getLogger(EventPublisher.class);

    private final EventCodec codec = new EventCodec();

    @Inject
    @Channel(PrunerChannels.RUN_PROGRESS)
    Emitter<String> progress;

    @Inject
    @Channel(PrunerChannels.MODEL_PRUNED)
    Emitter<String> pruned;

    @Inject
    @Channel(PrunerChannels.RUN_FAILED)
    Emitter<String> failed;

    @ConfigProperty(name = "prunelab.pruner.send-timeout", defaultValue = "PT60S")
    Duration sendTimeout;

    /** Progress is best effort: a lost progress event is not worth holding up the run. */
    public void progress(RunProgress event) {
        try {
            send(progress, event);
        } catch (RuntimeException e) {
            LOG.warnf("could not publish progress of run %s: %s", event.runId(), e.getMessage());
        }
    }

    /** Sends a result (model.pruned or run.failed) and waits until the broker has it. */
    public void result(Event event) {
        Emitter<String> emitter;
        if (event instanceof ModelPruned) {
            emitter = pruned;
        } else if (event instanceof RunFailed) {
            emitter = failed;
        } else {
            throw new IllegalArgumentException("not a pruner result: " + event.type());
        }
        CompletableFuture<Void> sent = send(emitter, event);
        try {
            sent.get(sendTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing " + event.type() + " of " + event.key(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not publish " + event.type() + " of " + event.key() + " to "
                    + Topics.of(event) + ": " + (e.getCause() != null ? e.getCause().getMessage() : e), e);
        }
    }

    private CompletableFuture<Void> send(Emitter<String> emitter, Event event) {
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(event.key())
                .withTopic(Topics.of(event))
                .withHeaders(CloudEvents.kafkaHeaders(event, SOURCE))
                .build();
        CompletableFuture<Void> done = new CompletableFuture<>();
        emitter.send(Message.of(codec.encode(event), Metadata.of(metadata),
                () -> {
                    done.complete(null);
                    return CompletableFuture.completedFuture(null);
                },
                failure -> {
                    done.completeExceptionally(failure);
                    return CompletableFuture.completedFuture(null);
                }));
        return done;
    }
}
