package dev.prunelab.evaluator.service;

import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.Topics;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/** Publishes events as EventCodec JSON, keyed by {@link Event#key()}, with the CloudEvents headers. */
@ApplicationScoped
public class EventPublisher {

    public static final String SOURCE = "/prunelab/evaluator-service";
    static final EventCodec CODEC = new EventCodec();

    @Inject
    @Channel("models-evaluated")
    MutinyEmitter<String> evaluated;

    @Inject
    @Channel("run-progress")
    MutinyEmitter<String> progress;

    @Inject
    @Channel("run-failed")
    MutinyEmitter<String> failed;

    /** Sends and waits until the broker acknowledged; throws when the send failed. */
    public void sendAndAwait(Event event) {
        emitter(event).sendMessageAndAwait(message(event));
    }

    /** Sends without waiting (progress: losing one is harmless). */
    public void sendAndForget(Event event) {
        emitter(event).sendMessageAndForget(message(event));
    }

    private MutinyEmitter<String> emitter(Event event) {
        if (event instanceof ModelEvaluated) {
            return evaluated;
        }
        if (event instanceof RunProgress) {
            return progress;
        }
        if (event instanceof RunFailed) {
            return failed;
        }
        throw new IllegalArgumentException("the evaluator does not publish " + event.type());
    }

    static Message<String> message(Event event) {
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(event.key())
                .withTopic(Topics.of(event))
                .withHeaders(CloudEvents.kafkaHeaders(event, SOURCE))
                .build();
        return Message.of(CODEC.encode(event)).addMetadata(metadata);
    }
}
