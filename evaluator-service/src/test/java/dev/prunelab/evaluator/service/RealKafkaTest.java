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
import dev.prunelab.service.BrokerClients;
import dev.prunelab.vocabulary.RunStage;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
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
    private static final Duration DEADLINE = Duration.ofSeconds(120);

    @Test
    void aModelPrunedOnTheBrokerIsAnsweredOnTheBroker() throws Exception {
        String runId = "kafka-outside-1";
        ModelPruned event = outsideTheStore(runId);
        try (KafkaProducer<String, String> producer = BrokerClients.producer()) {
            producer.send(new ProducerRecord<>(Topics.MODEL_PRUNED, null, runId, CODEC.encode(event),
                    CloudEvents.kafkaHeaders(event, EventSources.PRUNER))).get();
        }

        ConsumerRecord<String, String> answer =
                BrokerClients.firstRecords(Topics.RUN_FAILED, List.of(runId), DEADLINE).get(runId);
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
        ModelPruned event = outsideTheStore(next);
        List<RecordMetadata> poison = new ArrayList<>();
        try (KafkaProducer<String, String> producer = BrokerClients.producer()) {
            poison.add(producer.send(new ProducerRecord<>(Topics.MODEL_PRUNED, "poison-junk", "%".repeat(1_000_000)))
                    .get());
            poison.add(producer.send(new ProducerRecord<>(Topics.MODEL_PRUNED, "poison-quotes",
                    "\\\"".repeat(300_000))).get());
            producer.send(new ProducerRecord<>(Topics.MODEL_PRUNED, null, next, CODEC.encode(event),
                    CloudEvents.kafkaHeaders(event, EventSources.PRUNER))).get();
        }
        List<String> keys = new ArrayList<>(poison.stream()
                .map(at -> "invalid-" + at.topic() + "-" + at.partition() + "-" + at.offset()).toList());
        keys.add(next);
        Map<String, ConsumerRecord<String, String>> answers =
                BrokerClients.firstRecords(Topics.RUN_FAILED, keys, DEADLINE);
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

    /**
     * A pruned model whose artifact lies outside the store: the evaluator refuses it (it cannot export a model to
     * evaluate for real without the pruner, and the wiring is the same for both outcomes).
     */
    private static ModelPruned outsideTheStore(String runId) throws IOException {
        Path elsewhere = Files.createTempDirectory("not-the-store-");
        return new ModelPruned(runId, Instant.now(), new ArtifactRef(elsewhere.toUri().toString(), "0".repeat(64), 0),
                new PruneSummary("magnitude", null, 0.5, 0.5, null, null, null, null), null);
    }
}
