package dev.prunelab.pruner.service;

import dev.prunelab.events.Topics;
import dev.prunelab.kafka.InJvmKafka;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;

/** A real KRaft broker in the test JVM with every pipeline topic, and a fresh artifact store. */
public class InJvmKafkaBroker implements QuarkusTestResourceLifecycleManager {
    static volatile String bootstrapServers;

    private InJvmKafka kafka;

    @Override
    public Map<String, String> start() {
        kafka = InJvmKafka.start();
        kafka.createTopics(Topics.ALL);
        bootstrapServers = kafka.bootstrapServers();
        try {
            return Map.of("kafka.bootstrap.servers", bootstrapServers,
                    "prunelab.artifacts.dir", Files.createTempDirectory("pruner-kafka-artifacts").toString(),
                    "prunelab.pruner.threads", "1");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }
}
