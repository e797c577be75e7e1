package dev.prunelab.pruner.service;

import dev.prunelab.events.Topics;
import dev.prunelab.kafka.InJvmKafka;
import dev.prunelab.kafka.InJvmKafkaResource;
import dev.prunelab.service.TestDirectories;
import java.util.Map;

/** A real KRaft broker in the test JVM with every pipeline topic, and a fresh artifact store. */
public class InJvmKafkaBroker extends InJvmKafkaResource {

    public InJvmKafkaBroker() {
        super(Topics.ALL);
    }

    @Override
    protected Map<String, String> settings(InJvmKafka broker) {
        return Map.of("prunelab.artifacts.dir", TestDirectories.create("pruner-kafka-artifacts").toString(),
                "prunelab.pruner.threads", "1");
    }
}
