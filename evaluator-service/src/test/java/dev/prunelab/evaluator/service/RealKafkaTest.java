package dev.prunelab.evaluator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.ArtifactRef;
import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.EventSources;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.PruneSummary;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.Topics;
import dev.prunelab.kafka.InJvmKafkaResource;
import dev.prunelab.vocabulary.RunStage;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Against a real broker: a model.pruned published by a plain Kafka producer is consumed and answered on
 * prunelab.run.failed (the artifact lies outside the store: the evaluator cannot export a model to evaluate
 * for real without the pruner, and the wiring is the same for both outcomes).
 */
@QuarkusTest
@WithTestResource(value = RealKafka.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class RealKafkaTest {

    private static final EventCodec CODEC = new EventCodec();

    @Test
    void aModelPrunedOnTheBrokerIsAnsweredOnTheBroker() throws Exception {
        String runId = "kafka-outside-1";
        Path elsewhere = Files.createTempDirectory("not-the-store-");
        ModelPruned event = new ModelPruned(runId, Instant.now(),
                new ArtifactRef(elsewhere.toUri().toString(), "0".repeat(64), 0),
                new PruneSummary("magnitude", null, 0.5, 0.5, null, null, null, null), null);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, InJvmKafkaResource.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.MODEL_PRUNED, null, runId, CODEC.encode(event),
                    CloudEvents.kafkaHeaders(event, EventSources.PRUNER))).get();
        }

        ConsumerRecord<String, String> answer = null;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, InJvmKafkaResource.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.RUN_FAILED));
            Instant deadline = Instant.now().plusSeconds(120);
            while (answer == null && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    if (runId.equals(record.key())) {
                        answer = record;
                    }
                }
            }
        }
        assertNotNull(answer, "no run.failed for " + runId + " within the deadline");
        RunFailed failed = CODEC.decode(answer.value(), RunFailed.class);
        assertEquals(RunStage.VALIDATE, failed.stage());
        assertTrue(failed.reason().contains("outside the artifact store"), failed.reason());
        assertEquals("dev.prunelab.run.failed",
                new String(answer.headers().lastHeader(CloudEvents.TYPE).value(), StandardCharsets.UTF_8));
        assertEquals("/prunelab/evaluator-service",
                new String(answer.headers().lastHeader(CloudEvents.SOURCE).value(), StandardCharsets.UTF_8));

        // ready includes the Kafka connector's checks
        RestAssured.get("/q/health/ready").then().statusCode(200);
    }

    /**
     * A 1 MB record of junk and a 600 KB record of escaped quotes on prunelab.model.pruned: each a dead letter of a few
     * kilobytes naming its topic, partition, offset and reason (they were over max.request.size, and the failed send
     * stopped the channel for good), and the next model is still answered.
     */
    @Test
    void poisonRecordsBecomeSmallDeadLettersNamingTheirRecordAndTheNextModelIsAnswered() throws Exception {
        String next = "kafka-after-poison";
        Path elsewhere = Files.createTempDirectory("not-the-store-");
        ModelPruned event = new ModelPruned(next, Instant.now(),
                new ArtifactRef(elsewhere.toUri().toString(), "0".repeat(64), 0),
                new PruneSummary("magnitude", null, 0.5, 0.5, null, null, null, null), null);
        List<RecordMetadata> poison = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, InJvmKafkaResource.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            poison.add(producer.send(new ProducerRecord<>(Topics.MODEL_PRUNED, "poison-junk", "%".repeat(1_000_000)))
                    .get());
            poison.add(producer.send(new ProducerRecord<>(Topics.MODEL_PRUNED, "poison-quotes",
                    "\\\"".repeat(300_000))).get());
            producer.send(new ProducerRecord<>(Topics.MODEL_PRUNED, null, next, CODEC.encode(event),
                    CloudEvents.kafkaHeaders(event, EventSources.PRUNER))).get();
        }
        Map<String, ConsumerRecord<String, String>> answers = new HashMap<>();
        List<String> keys = new ArrayList<>(poison.stream()
                .map(at -> "invalid-" + at.topic() + "-" + at.partition() + "-" + at.offset()).toList());
        keys.add(next);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, InJvmKafkaResource.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.RUN_FAILED));
            Instant deadline = Instant.now().plusSeconds(120);
            while (!answers.keySet().containsAll(keys) && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    if (keys.contains(record.key())) {
                        answers.putIfAbsent(record.key(), record);
                    }
                }
            }
        }
        assertTrue(answers.keySet().containsAll(keys), "answered within the deadline: " + answers.keySet());
        for (RecordMetadata at : poison) {
            ConsumerRecord<String, String> answer = answers.get("invalid-" + at.topic() + "-" + at.partition() + "-"
                    + at.offset());
            assertTrue(answer.serializedValueSize() < 4096, answer.serializedValueSize() + " bytes");
            RunFailed failed = CODEC.decode(answer.value(), RunFailed.class);
            assertEquals(new RunFailed.SourceRecord(Topics.MODEL_PRUNED, at.partition(), at.offset()), failed.record());
            assertEquals(RunStage.DECODE, failed.stage());
            assertTrue(failed.reason().startsWith("(json): not valid JSON"), failed.reason());
        }
        assertEquals(RunStage.VALIDATE, CODEC.decode(answers.get(next).value(), RunFailed.class).stage());
        RestAssured.get("/q/health/ready").then().statusCode(200);
    }
}
