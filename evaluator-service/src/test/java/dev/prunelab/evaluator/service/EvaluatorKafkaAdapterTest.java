package dev.prunelab.evaluator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.ArtifactRef;
import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.PerplexitySpec;
import dev.prunelab.events.PruneSummary;
import dev.prunelab.events.RunFailed;
import dev.prunelab.service.MetricsPage;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.work.ArtifactStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import io.smallrye.reactive.messaging.memory.InMemorySink;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;

/** The service's channel wiring on the in-memory connector. */
@QuarkusTest
@WithTestResource(value = InMemoryChannels.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class EvaluatorKafkaAdapterTest {

    private static final EventCodec CODEC = new EventCodec();
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final String SHA = "0".repeat(64);
    private static final PruneSummary REPORT = new PruneSummary("magnitude", "magnitude-0.5", 0.5, 0.5, 260032L,
            130016L, 1.0, null);

    @Inject
    @Any
    InMemoryConnector connector;

    @Inject
    ArtifactStore store;

    @Inject
    MeterRegistry registry;

    @Test
    void republishesAStoredResultWithoutEvaluating() throws Exception {
        // What a service killed after storing its result but before the ack finds on restart.
        String runId = "eval-stored-1";
        Instant now = Instant.parse("2026-01-31T12:00:00Z");
        ModelEvaluated stored = new ModelEvaluated(runId, now, new EvaluationMetrics(5.0, null, null, null, null,
                1000L, null, null), new MeasurementWindow(now.minusSeconds(3), now, "elsewhere", "cpu", "cpu"));
        Path dir = Files.createDirectories(store.root().resolve("evaluations"));
        Files.writeString(dir.resolve(runId + ".json"), CODEC.encode(stored), StandardCharsets.UTF_8);
        double startedBefore = registry.counter("prunelab.runs.started", "service", "evaluator-service").count();

        // its artifact is gone by now: a stored result is answered before the artifact is looked at
        ArtifactRef missing = new ArtifactRef(store.root().resolve(runId).toUri().toString(), SHA, 1);
        connector.source("model-pruned").send(CODEC.encode(new ModelPruned(runId, Instant.now(), missing, REPORT,
                null)));
        Message<String> message = await(sink("model-evaluated"), m -> runId.equals(key(m)));
        assertEquals(CODEC.encode(stored), message.getPayload());
        assertEquals("model.evaluated:" + runId + ":" + now, header(message, CloudEvents.ID));
        assertEquals(startedBefore,
                registry.counter("prunelab.runs.started", "service", "evaluator-service").count());
    }

    @Test
    void anArtifactOutsideTheStoreFailsValidation() throws Exception {
        Path elsewhere = Files.createTempDirectory("not-the-store-");
        Files.writeString(elsewhere.resolve("model.onnx"), "x");
        String runId = "eval-outside-1";
        ArtifactRef ref = new ArtifactRef(elsewhere.toUri().toString(), SHA, 1);
        connector.source("model-pruned").send(CODEC.encode(new ModelPruned(runId, Instant.now(), ref, REPORT, null)));

        RunFailed failed = CODEC.decode(await(sink("run-failed"), m -> runId.equals(key(m))).getPayload(),
                RunFailed.class);
        assertEquals(RunStage.VALIDATE, failed.stage());
        assertTrue(failed.reason().contains("outside the artifact store"), failed.reason());
        assertFalse(failed.reason().contains("\n"));
    }

    @Test
    void aWrongSha256FailsValidation() throws Exception {
        String runId = "eval-badsha-1";
        ArtifactRef real = commit(runId, "model.onnx", "not really a model");
        ArtifactRef tampered = new ArtifactRef(real.uri(), SHA, real.sizeBytes());
        connector.source("model-pruned").send(CODEC.encode(new ModelPruned(runId, Instant.now(), tampered, REPORT,
                null)));

        RunFailed failed = CODEC.decode(await(sink("run-failed"), m -> runId.equals(key(m))).getPayload(),
                RunFailed.class);
        assertEquals(RunStage.VALIDATE, failed.stage());
        assertTrue(failed.reason().contains(real.sha256()), failed.reason());
    }

    @Test
    void aCorruptModelFailsTheEvaluationAndTheServiceKeepsRunning() throws Exception {
        String runId = "eval-corrupt-1";
        ArtifactRef corrupt = commit(runId, "model.onnx", "garbage, not a protobuf");
        connector.source("model-pruned").send(CODEC.encode(new ModelPruned(runId, Instant.now(), corrupt, REPORT,
                null)));
        RunFailed failed = CODEC.decode(await(sink("run-failed"), m -> runId.equals(key(m))).getPayload(),
                RunFailed.class);
        assertEquals(RunStage.EVALUATE, failed.stage());
        assertFalse(failed.reason().isBlank());
        assertFalse(Files.exists(store.root().resolve("evaluations").resolve(runId + ".json")));

        // the next message is still processed
        String next = "eval-corrupt-2";
        Path outside = Files.createTempDirectory("not-the-store-");
        connector.source("model-pruned").send(CODEC.encode(new ModelPruned(next, Instant.now(),
                new ArtifactRef(outside.toUri().toString(), SHA, 0), REPORT, null)));
        await(sink("run-failed"), m -> next.equals(key(m)));
    }

    @Test
    void aTextOutsideTheRootsOrMissingFailsAtValidateNamingNoServerPath() throws Exception {
        String outside = "eval-notext-1";
        send(outside, "/etc/shadow");
        RunFailed refused = CODEC.decode(await(sink("run-failed"), m -> outside.equals(key(m))).getPayload(),
                RunFailed.class);
        assertEquals(RunStage.VALIDATE, refused.stage());
        assertTrue(refused.reason().startsWith("evaluation.perplexity.text: is outside the directories"),
                refused.reason());
        assertFalse(refused.reason().contains("/etc/shadow"), refused.reason());

        String missing = "eval-notext-2";
        send(missing, Path.of(System.getProperty("java.io.tmpdir"), "no-such-text-here.txt").toString());
        RunFailed absent = CODEC.decode(await(sink("run-failed"), m -> missing.equals(key(m))).getPayload(),
                RunFailed.class);
        assertEquals(RunStage.VALIDATE, absent.stage());
        assertEquals("evaluation.perplexity.text: models:no-such-text-here.txt does not exist", absent.reason());
    }

    private void send(String runId, String perplexityText) throws IOException {
        ArtifactRef artifact = commit(runId, "model.onnx", "never loaded");
        EvaluationSpec spec = new EvaluationSpec(new PerplexitySpec(perplexityText, null, null, null), null,
                null, null, null);
        connector.source("model-pruned").send(CODEC.encode(new ModelPruned(runId, Instant.now(), artifact, REPORT,
                spec)));
    }

    @Test
    void malformedJsonBecomesADeadLetter() {
        String json = "{\"schemaVersion\":1,\"type\":\"model.pruned\",\"runId\":\"eval-bad-1\",";
        connector.source("model-pruned").send(json);
        Message<String> message = await(sink("run-failed"), m -> excerptOf(m).equals(json));
        RunFailed failed = CODEC.decode(message.getPayload(), RunFailed.class);
        assertEquals(RunStage.DECODE, failed.stage());
        assertEquals(new RunFailed.Excerpt(json, json.length(), false), failed.excerpt());
        assertTrue(failed.reason().startsWith("(json): not valid JSON"), failed.reason());
        assertEquals(failed.runId(), key(message));
        assertEquals("dev.prunelab.run.failed", header(message, CloudEvents.TYPE));
    }

    private static String excerptOf(Message<String> message) {
        RunFailed.Excerpt excerpt = CODEC.decode(message.getPayload(), RunFailed.class).excerpt();
        return excerpt == null ? "" : excerpt.text();
    }

    @Test
    void aMegabyteOfJunkAndEscapedQuotesAreSmallDeadLettersAndTheNextModelIsStillEvaluated() throws Exception {
        String junk = "#".repeat(1_000_000);
        String quotes = "\\\"".repeat(300_000);
        connector.source("model-pruned").send(junk);
        connector.source("model-pruned").send(quotes);
        String next = "eval-after-junk";
        Path outside = Files.createTempDirectory("not-the-store-");
        connector.source("model-pruned").send(CODEC.encode(new ModelPruned(next, Instant.now(),
                new ArtifactRef(outside.toUri().toString(), SHA, 0), REPORT, null)));

        for (String input : List.of(junk, quotes)) {
            Message<String> message = await(sink("run-failed"), m -> {
                RunFailed.Excerpt excerpt = CODEC.decode(m.getPayload(), RunFailed.class).excerpt();
                return excerpt != null && excerpt.totalChars() == input.length();
            });
            assertTrue(message.getPayload().getBytes(StandardCharsets.UTF_8).length < 4096,
                    message.getPayload().length() + " characters");
            RunFailed failed = CODEC.decode(message.getPayload(), RunFailed.class);
            assertEquals(RunStage.DECODE, failed.stage());
            assertTrue(failed.reason().startsWith("(json): not valid JSON"), failed.reason());
            assertEquals(failed.runId(), key(message));
        }
        RunFailed answered = CODEC.decode(await(sink("run-failed"), m -> next.equals(key(m))).getPayload(),
                RunFailed.class);
        assertEquals(RunStage.VALIDATE, answered.stage());
    }

    @Test
    void healthAndMetricsAreServed() {
        RestAssured.get("/q/health/live").then().statusCode(200);
        RestAssured.get("/q/health/ready").then().statusCode(200);
        RestAssured.get("/q/metrics").then().statusCode(200)
                .body(Matchers.containsString("prunelab_runs_started_total{service=\"evaluator-service\"}"))
                .body(Matchers.containsString("prunelab_runs_failed_total{service=\"evaluator-service\",stage=\"decode\"}"));
    }

    private InMemorySink<String> sink(String channel) {
        return connector.sink(channel);
    }

    private ArtifactRef commit(String name, String file, String content) throws IOException {
        ArtifactStore.Staging staging = store.stage(name);
        Files.writeString(staging.directory().resolve(file), content);
        return staging.commit();
    }

    static <T> Message<T> await(InMemorySink<T> sink, Predicate<Message<T>> match) {
        Instant deadline = Instant.now().plus(DEADLINE);
        while (Instant.now().isBefore(deadline)) {
            for (Message<T> m : List.copyOf(sink.received())) {
                if (match.test(m)) {
                    return m;
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no matching message within " + DEADLINE + "; received " + sink.received().stream()
                .map(Message::getPayload).toList());
    }

    @SuppressWarnings("unchecked")
    static String key(Message<?> message) {
        return message.getMetadata(OutgoingKafkaRecordMetadata.class).map(m -> (String) m.getKey()).orElse(null);
    }

    static String header(Message<?> message, String name) {
        OutgoingKafkaRecordMetadata<?> metadata = message.getMetadata(OutgoingKafkaRecordMetadata.class).orElseThrow();
        Header header = metadata.getHeaders().lastHeader(name);
        assertNotNull(header, name);
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    @Test
    void everyPrunelabMetricHasHelpText() {
        MetricsPage.assertHelpedFamilies("prunelab_runs_started_total", "prunelab_runs_finished_total",
                "prunelab_runs_failed_total");
    }
}
