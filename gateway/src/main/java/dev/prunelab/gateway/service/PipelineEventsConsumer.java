package dev.prunelab.gateway.service;

import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.InvalidEventException;
import dev.prunelab.events.Topics;
import dev.prunelab.service.Inbox;
import io.quarkus.logging.Log;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Reads every pipeline topic (one channel subscribed to all of {@link Topics#ALL}) into the {@link GatewayState}.
 * Joining is in memory and quick, so it runs on the connector's thread. Each record's offset is reported to the
 * catch-up tracker after it was applied.
 */
@ApplicationScoped
public class PipelineEventsConsumer {

    public static final String CHANNEL = "pipeline-events";

    private final EventCodec codec = new EventCodec();

    @Inject
    GatewayState state;

    @Inject
    GatewayMetrics metrics;

    @Incoming(CHANNEL)
    public CompletionStage<Void> consume(Message<String> message) {
        Optional<IncomingKafkaRecordMetadata<?, ?>> kafka = Inbox.kafkaMetadata(message);
        try {
            Event event = codec.decode(message.getPayload());
            String topic = kafka.map(IncomingKafkaRecordMetadata::getTopic).orElse(Topics.of(event));
            Optional<String> refusal = Inbox.sourceRefusal(message, event);
            if (!Topics.of(event).equals(topic)) {
                Log.warnf("skipping a %s event on topic %s (it belongs on %s)", event.type(), topic, Topics.of(event));
            } else if (refusal.isPresent()) {
                Log.warn(refusal.get());
                metrics.eventIgnored(event);
            } else {
                state.accept(event);
                metrics.eventAccepted(event);
            }
        } catch (InvalidEventException e) {
            // Not dead-lettered here (a request's owning service does that, and this replay repeats at every start),
            // but never silent: a record this gateway cannot read (from a newer producer, say) leaves its run
            // stuck, so its place and reason are logged.
            Log.warnf("skipping a record this gateway cannot read at %s: %s", kafka.map(m -> m.getTopic() + "/"
                    + m.getPartition() + "@" + m.getOffset()).orElse(CHANNEL), e.getMessage());
        } finally {
            kafka.ifPresent(m -> state.catchUp().consumed(m.getTopic(), m.getPartition(), m.getOffset()));
        }
        return message.ack();
    }
}
