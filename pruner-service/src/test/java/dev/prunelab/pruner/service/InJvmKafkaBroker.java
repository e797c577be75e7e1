package dev.prunelab.pruner.service;

import dev.prunelab.events.Topics;
import dev.prunelab.kafka.InJvmKafka;
import dev.prunelab.kafka.InJvmKafkaResource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;

/** A real KRaft broker in the test JVM with every pipeline topic, and a fresh artifact store. */
public class InJvmKafkaBroker extends InJvmKafkaResource {

    public InJvmKafkaBroker() {
        super(Topics.ALL);
    }

    @Override
    protected Map<String, String> settings(InJvmKafka broker) {
        try {
            return Map.of("prunelab.artifacts.dir", Files.createTempDirectory("pruner-kafka-artifacts").toString(),
                    "prunelab.pruner.threads", "1");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
