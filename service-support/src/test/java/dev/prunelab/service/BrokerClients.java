package dev.prunelab.service;

import dev.prunelab.kafka.InJvmKafkaResource;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Plain Kafka clients of the test's in-JVM broker ({@link InJvmKafkaResource}), keys and values as strings: what a
 * service's test publishes with as another service would, and reads the service's answers with. Shipped in
 * service-support's test-jar, for the services' tests.
 */
public final class BrokerClients {
    private static final Duration POLL = Duration.ofMillis(500);

    private BrokerClients() {
    }

    public static KafkaProducer<String, String> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                InJvmKafkaResource.bootstrapServers()), new StringSerializer(), new StringSerializer());
    }

    /** A consumer in a group of its own ({@code groupPrefix} and a random suffix) that reads from the start. */
    public static KafkaConsumer<String, String> consumerFromStart(String groupPrefix) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, InJvmKafkaResource.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, groupPrefix + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer());
    }

    /**
     * The first record of each of {@code keys} on {@code topic}, read from its start until all are there or
     * {@code limit} passed: those found by then (the caller asserts, naming what it waited for).
     */
    public static Map<String, ConsumerRecord<String, String>> firstRecords(String topic, Collection<String> keys,
                                                                           Duration limit) {
        Map<String, ConsumerRecord<String, String>> found = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = consumerFromStart("test-")) {
            consumer.subscribe(List.of(topic));
            long end = System.nanoTime() + limit.toNanos();
            while (!found.keySet().containsAll(keys) && System.nanoTime() - end < 0) {
                for (ConsumerRecord<String, String> record : consumer.poll(POLL)) {
                    if (keys.contains(record.key())) {
                        found.putIfAbsent(record.key(), record);
                    }
                }
            }
        }
        return found;
    }
}
