package dev.prunelab.evaluator.service;

import dev.prunelab.events.Topics;
import dev.prunelab.kafka.InJvmKafka;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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
        try {
            return Map.of("kafka.bootstrap.servers", bootstrapServers,
                    "prunelab.artifacts.dir", Files.createTempDirectory("evaluator-store-").toString(),
                    "prunelab.host", InMemoryChannels.HOST);
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
