package dev.prunelab.service;

import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.Topics;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * How every service publishes: the event as EventCodec JSON, keyed by {@link Event#key()}, on the topic of its type
 * ({@link Topics#of(Event)}), with the CloudEvents headers naming this service as the source; results awaited until
 * the broker acknowledged them, never longer than the time limit.
 */
public final class EventSender {

    private static final EventCodec CODEC = new EventCodec();
    private static final Logger LOG = Logger.getLogger(EventSender.class);

    private final String source;
    private final Map<String, MutinyEmitter<String>> emittersByTopic;
    private final Duration sendTimeout;

    /**
     * @param source          the CloudEvents source, e.g. {@code /prunelab/pruner-service}
     * @param emittersByTopic the channel of each topic this service publishes
     * @param sendTimeout     how long an awaited send may take before it fails
     */
    public EventSender(String source, Map<String, MutinyEmitter<String>> emittersByTopic, Duration sendTimeout) {
        this.source = source;
        this.emittersByTopic = Map.copyOf(emittersByTopic);
        this.sendTimeout = sendTimeout;
    }

    public String source() {
        return source;
    }

    /**
     * The Kafka message of an event: its JSON value with key, topic and CloudEvents headers, the event encoded once
     * (the value, and the {@code ce_id} of a run request, come from the same JSON).
     */
    private static Message<String> message(Event event, String json, String source) {
        return Message.of(json).addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(event.key())
                .withTopic(Topics.of(event))
                .withHeaders(CloudEvents.kafkaHeaders(event, json, source))
                .build());
    }

    /** Completes when the broker acknowledged the event. */
    public Uni<Void> send(Event event) {
        return send(event, CODEC.encode(event));
    }

    /** As {@link #send(Event)}, the event already encoded (a recorded outcome is published as its recorded bytes). */
    public Uni<Void> send(Event event, String json) {
        return emitter(event).sendMessage(message(event, json, source));
    }

    /** Sends and waits until the broker acknowledged, at most the time limit; fails naming the event otherwise. */
    public void sendAndAwait(Event event) {
        sendAndAwait(event, CODEC.encode(event));
    }

    /** As {@link #sendAndAwait(Event)}, the event already encoded as {@code json}. */
    public void sendAndAwait(Event event, String json) {
        try {
            send(event, json).await().atMost(sendTimeout);
        } catch (RuntimeException e) {
            throw new IllegalStateException("could not publish " + event.type() + " of " + event.key() + " to "
                    + Topics.of(event) + " within " + sendTimeout + ": " + RunFailed.reasonOf(e), e);
        }
    }

    /** Best effort (progress, power samples): a failure is handed to {@code onFailure}, never thrown. */
    public void sendAndForget(Event event, Consumer<Throwable> onFailure) {
        try {
            send(event).subscribe().with(done -> { }, onFailure);
        } catch (RuntimeException e) { // the emitter's buffer is full while the broker is away
            onFailure.accept(e);
        }
    }

    /** Progress is best effort: a lost progress event is not worth holding up the run. */
    public void sendProgress(RunProgress event) {
        sendAndForget(event, e -> LOG.warnf("could not publish progress of run %s: %s", event.runId(),
                e.getMessage()));
    }

    private MutinyEmitter<String> emitter(Event event) {
        MutinyEmitter<String> emitter = emittersByTopic.get(Topics.of(event));
        if (emitter == null) {
            throw new IllegalArgumentException(source + " does not publish " + event.type());
        }
        return emitter;
    }
}
