package dev.prunelab.energy.service;

import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.PowerSample;
import dev.prunelab.events.Topics;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/** Publishes power samples as EventCodec JSON keyed {@code host/device}, with the CloudEvents headers. */
@ApplicationScoped
public class PowerSamplePublisher {

    public static final String SOURCE = "/prunelab/energy-meter-service";
    private static final EventCodec CODEC = new EventCodec();

    @Inject
    @Channel("power-samples")
    MutinyEmitter<String> samples;

    /** Completes when the broker acknowledged the sample. */
    public Uni<Void> publish(PowerSample sample) {
        return samples.sendMessage(message(sample));
    }

    static Message<String> message(PowerSample sample) {
        return Message.of(CODEC.encode(sample)).addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(sample.key())
                .withTopic(Topics.POWER_SAMPLE)
                .withHeaders(CloudEvents.kafkaHeaders(sample, SOURCE))
                .build());
    }
}
