package dev.prunelab.energy.service;

import dev.prunelab.events.Topics;
import dev.prunelab.kafka.InJvmKafka;
import dev.prunelab.kafka.InJvmKafkaResource;
import java.util.Map;

/** A real single-node KRaft broker in the test JVM, with every pipeline topic created. */
public class RealKafka extends InJvmKafkaResource {

    public RealKafka() {
        super(Topics.ALL);
    }

    @Override
    protected Map<String, String> settings(InJvmKafka broker) {
        return Map.of("prunelab.host", InMemorySamples.HOST,
                "prunelab.energy.interval", "PT0.2S",
                "prunelab.energy.nvml", "false");
    }
}
