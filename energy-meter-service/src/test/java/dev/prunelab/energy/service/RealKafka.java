package dev.prunelab.energy.service;

import dev.prunelab.events.Topics;
import dev.prunelab.kafka.InJvmKafka;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** A real single-node KRaft broker in the test JVM, with every pipeline topic created. */
public class RealKafka implements QuarkusTestResourceLifecycleManager {

    static volatile String bootstrapServers;
    private InJvmKafka kafka;

    @Override
    public Map<String, String> start() {
        kafka = InJvmKafka.start();
        kafka.createTopics(Topics.ALL);
        bootstrapServers = kafka.bootstrapServers();
        return Map.of("kafka.bootstrap.servers", bootstrapServers,
                "prunelab.host", InMemorySamples.HOST,
                "prunelab.energy.interval", "PT0.2S",
                "prunelab.energy.nvidia-smi", "false");
    }

    @Override
    public void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }
}
