package dev.prunelab.gateway.service;

import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.Topics;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Publishes the gateway's events (run requests, sweep cancellations): JSON value of {@link EventCodec}, key
 * {@link Event#key()}, CloudEvents headers, and waits for the broker's acknowledgement, so a 202 means the runs
 * are in Kafka.
 */
@ApplicationScoped
public class EventPublisher {

    public static final String RUN_REQUESTS = "run-requests";
    public static final String SWEEP_CANCELLATIONS = "sweep-cancellations";
    static final String SOURCE = "/prunelab/gateway";

    private final EventCodec codec = new EventCodec();

    @Inject
    GatewayState state;

    @Inject
    @Channel(RUN_REQUESTS)
    MutinyEmitter<String> runRequests;

    @Inject
    @Channel(SWEEP_CANCELLATIONS)
    MutinyEmitter<String> sweepCancellations;

    /**
     * Publishes a run request unless the gateway already knows the run (resubmitting a sweep must not run it
     * twice), then records it, so a GET right after the 202 shows it. Serialised: two submissions of one sweep at
     * once publish it once.
     *
     * @return false when the run was already known
     */
    public synchronized boolean submit(RunRequested run) {
        if (state.join().get(run.runId()).map(r -> r.request() != null).orElse(false)) {
            return false;
        }
        publish(run);
        state.accept(run);
        return true;
    }

    /** Sends and waits until the broker acknowledged it. */
    public void publish(Event event) {
        MutinyEmitter<String> emitter = switch (Topics.of(event)) {
            case Topics.RUN_REQUESTED -> runRequests;
            case Topics.SWEEP_CANCELLED -> sweepCancellations;
            default -> throw new IllegalArgumentException("the gateway does not publish " + event.type());
        };
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(event.key()).withTopic(Topics.of(event)).withHeaders(CloudEvents.kafkaHeaders(event, SOURCE))
                .build();
        emitter.sendMessageAndAwait(Message.of(codec.encode(event)).addMetadata(metadata));
    }
}
