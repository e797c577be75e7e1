package dev.prunelab.pruner.service;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.events.CalibrationSpec;
import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.EventSources;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.Topics;
import dev.prunelab.service.BrokerClients;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.vocabulary.PruneMethod;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/**
 * Against a real broker: a request published with a plain Kafka producer comes back as model.pruned; one whose
 * CloudEvents source is not the gateway is ignored; poison records become small dead letters and the pruner goes on.
 */
@QuarkusTest
@WithTestResource(InJvmKafkaBroker.class)
class PrunerKafkaTest {
    static final Duration DEADLINE = Duration.ofSeconds(120);
    static final EventCodec CODEC = new EventCodec();

    @Test
    void aRequestOnTheTopicYieldsModelPrunedOnTheTopic() throws Exception {
        String runId = "kafka-magnitude-50";
        RunRequested request = new RunRequested(runId, Instant.now(), null,
                new ModelRef(SharedData.path("models/stories260K/stories260K.bin").toString(), null),
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5), new CalibrationSpec(null, 2, 32, 0L), null);
        try (KafkaProducer<String, String> producer = BrokerClients.producer()) {
            // first a forged request (another service's source): ignored, so only the real one below is pruned
            RunRequested forged = new RunRequested("kafka-forged", request.occurredAt(), null, request.model(),
                    request.prune(), request.calibration(), null);
            producer.send(new ProducerRecord<>(Topics.RUN_REQUESTED, null, forged.runId(), CODEC.encode(forged),
                    CloudEvents.kafkaHeaders(forged, EventSources.EVALUATOR))).get();
            producer.send(new ProducerRecord<>(Topics.RUN_REQUESTED, null, runId, CODEC.encode(request),
                    CloudEvents.kafkaHeaders(request, EventSources.GATEWAY))).get();
        }

        ConsumerRecord<String, String> record = awaitModelPruned(runId);
        assertEquals(runId, record.key());
        assertEquals(CloudEvents.TYPE_PREFIX + ModelPruned.TYPE,
                new String(record.headers().lastHeader(CloudEvents.TYPE).value(), StandardCharsets.UTF_8));
        ModelPruned pruned = CODEC.decode(record.value(), ModelPruned.class);
        Path artifact = Path.of(URI.create(pruned.artifact().uri()));
        assertTrue(Files.isRegularFile(artifact.resolve("model.onnx")), artifact.toString());
        assertEquals(0.5, pruned.report().achievedSparsity(), 0.01);

        given().when().get("/q/health/ready").then().statusCode(200);
        given().when().get("/q/metrics").then().statusCode(200)
                // one run: the forged request was not worked on
                .body(containsString("prunelab_runs_finished_total{service=\"pruner-service\"} 1.0"))
                .body(containsString("prunelab_stage_duration_seconds_count{service=\"pruner-service\",stage=\"prune\"}"));
    }

    /**
     * The records that stopped the pruner for good (issue 20): a 1 MB record of junk and a 600 KB record of escaped
     * quotes gave dead letters over max.request.size, and the channel stopped on the failed send. Now each is a dead
     * letter of a few kilobytes that says where the record was and why, and the next request is worked on.
     */
    @Test
    void poisonRecordsBecomeSmallDeadLettersNamingTheirRecordAndTheNextRequestIsAnswered() throws Exception {
        String junk = "j".repeat(1_000_000);
        String quotes = "\\\"".repeat(300_000);
        RunRequested next = new RunRequested("kafka-after-poison", Instant.now(), null,
                new ModelRef("/nonexistent/after-poison.bin", null), PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5),
                null, null);
        RecordMetadata junkAt;
        RecordMetadata quotesAt;
        try (KafkaProducer<String, String> producer = BrokerClients.producer()) {
            junkAt = producer.send(new ProducerRecord<>(Topics.RUN_REQUESTED, "poison-junk", junk)).get();
            quotesAt = producer.send(new ProducerRecord<>(Topics.RUN_REQUESTED, "poison-quotes", quotes)).get();
            producer.send(new ProducerRecord<>(Topics.RUN_REQUESTED, null, next.runId(), CODEC.encode(next),
                    CloudEvents.kafkaHeaders(next, EventSources.GATEWAY))).get();
        }

        Map<String, ConsumerRecord<String, String>> answers = awaitKeys(Topics.RUN_FAILED, List.of(
                deadLetterKey(junkAt), deadLetterKey(quotesAt), next.runId()));
        for (RecordMetadata at : List.of(junkAt, quotesAt)) {
            ConsumerRecord<String, String> answer = answers.get(deadLetterKey(at));
            assertTrue(answer.serializedValueSize() < 4096, answer.serializedValueSize() + " bytes");
            JsonNode deadLetter = new ObjectMapper().readTree(answer.value());
            assertEquals(Topics.RUN_REQUESTED, deadLetter.at("/record/topic").asText());
            assertEquals(at.partition(), deadLetter.at("/record/partition").asInt());
            assertEquals(at.offset(), deadLetter.at("/record/offset").asLong());
            assertEquals("decode", deadLetter.path("stage").asText());
            assertTrue(deadLetter.path("reason").asText().startsWith("(json): not valid JSON"), answer.value());
            assertTrue(deadLetter.at("/excerpt/cut").asBoolean());
        }
        assertEquals("validate", new ObjectMapper().readTree(answers.get(next.runId()).value()).path("stage").asText());
        given().when().get("/q/health/ready").then().statusCode(200);
    }

    private static String deadLetterKey(RecordMetadata at) {
        return "invalid-" + at.topic() + "-" + at.partition() + "-" + at.offset();
    }

    /** The first record of each key on the topic, polled until the deadline. */
    private static Map<String, ConsumerRecord<String, String>> awaitKeys(String topic, List<String> keys) {
        Map<String, ConsumerRecord<String, String>> found = BrokerClients.firstRecords(topic, keys, DEADLINE);
        assertTrue(found.keySet().containsAll(keys), "on " + topic + " within " + DEADLINE + ": " + found.keySet()
                + " of " + keys);
        return found;
    }

    private static ConsumerRecord<String, String> awaitModelPruned(String runId) {
        ConsumerRecord<String, String> record =
                BrokerClients.firstRecords(Topics.MODEL_PRUNED, List.of(runId), DEADLINE).get(runId);
        if (record == null) {
            throw new AssertionError("no model.pruned for " + runId + " on " + Topics.MODEL_PRUNED + " within "
                    + DEADLINE);
        }
        assertNotNull(record.value());
        return record;
    }
}
