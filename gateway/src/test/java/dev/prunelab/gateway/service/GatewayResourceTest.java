package dev.prunelab.gateway.service;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.ArtifactRef;
import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.EnergyMeasurement;
import dev.prunelab.events.EnergyUse;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PowerSample;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.PruneSummary;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SweepCancelled;
import dev.prunelab.gateway.Fixtures;
import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.vocabulary.PruneMethod;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.path.json.config.JsonPathConfig;
import io.restassured.specification.RequestSpecification;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import io.smallrye.reactive.messaging.memory.InMemorySink;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The REST API and the channel wiring, on the in-memory connector. */
@QuarkusTest
@WithTestResource(InMemoryChannels.class)
class GatewayResourceTest {

    static final EventCodec CODEC = new EventCodec();
    static final Path MODEL;

    static {
        try {
            MODEL = Files.createTempFile("gateway-test-model", ".bin");
            MODEL.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Inject
    @Any
    InMemoryConnector connector;

    private InMemorySink<String> runRequests;

    /** A request with the bearer token of the test profile (%test.prunelab.api-token). */
    static RequestSpecification authorized() {
        return given().header("Authorization", "Bearer test-token");
    }

    @BeforeEach
    void sinks() {
        runRequests = connector.sink(RunRequestPublisher.RUN_REQUESTED);
        runRequests.clear();
        connector.sink(RunRequestPublisher.SWEEP_CANCELLED).clear();
    }

    @Test
    void changingStateNeedsTheBearerTokenWhileReadingDoesNot() {
        String body = sweepJson("s-auth", "0.5");
        for (var request : java.util.List.of(given(), given().header("Authorization", "Bearer wrong-token"),
                given().header("Authorization", "Bearer test-token-and-more"), given().header("Authorization", "test-token"),
                given().auth().preemptive().basic("admin", "test-token"))) {
            request.contentType(ContentType.JSON).body(body).post("/api/sweeps").then().statusCode(401)
                    .header("WWW-Authenticate", "Bearer").body("error", equalTo("authentication required"));
        }
        given().delete("/api/sweeps/s-auth").then().statusCode(401).body("error", equalTo("authentication required"));
        assertEquals(0, runRequests.received().size(), "nothing is published without the token");
        given().get("/api/sweeps").then().statusCode(200);
        post("/api/sweeps", body, 202);
    }

    static String sweepJson(String sweepId, String sparsities) {
        return """
                {"sweepId": "%s", "model": {"path": "%s"}, "methods": ["wanda", "magnitude"],
                 "sparsities": [%s], "evaluations": [{"perplexity": {"maxWindows": 2}}]}
                """.formatted(sweepId, MODEL.toString().replace("\\", "\\\\"), sparsities);
    }

    static JsonPath post(String path, String body, int status) {
        return authorized().contentType(ContentType.JSON).body(body).when().post(path)
                .then().statusCode(status).extract().jsonPath();
    }

    private List<RunRequested> published() {
        return runRequests.received().stream().map(m -> CODEC.decode(m.getPayload(), RunRequested.class)).toList();
    }

    @Test
    void aValidSweepIsAcceptedAndEveryRunPublishedOnce() {
        JsonPath accepted = post("/api/sweeps", sweepJson("s-valid", "0.3, 0.5"), 202);
        List<String> runIds = accepted.getList("runIds", String.class);
        assertEquals("s-valid", accepted.getString("sweepId"));
        assertEquals(4 + 1, runIds.size()); // + the dense reference
        assertEquals(runIds, published().stream().map(RunRequested::runId).toList());
        Message<String> first = runRequests.received().get(0);
        OutgoingKafkaRecordMetadata<?> kafka = first.getMetadata(OutgoingKafkaRecordMetadata.class).orElseThrow();
        assertEquals(runIds.get(0), kafka.getKey());
        assertEquals("prunelab.run.requested", kafka.getTopic());
        Header type = kafka.getHeaders().lastHeader(CloudEvents.TYPE);
        assertEquals("dev.prunelab.run.requested", new String(type.value(), StandardCharsets.UTF_8));
        assertEquals(2, published().get(0).evaluation().perplexity().maxWindows());

        // The same sweep again: the same ids, nothing published twice.
        JsonPath again = post("/api/sweeps", sweepJson("s-valid", "0.3, 0.5"), 202);
        assertEquals(runIds, again.getList("runIds", String.class));
        assertEquals(List.of(), again.getList("published", String.class));
        assertEquals(4 + 1, runRequests.received().size());
        given().get("/api/sweeps/s-valid").then().statusCode(200).body("runs", hasSize(4 + 1))
                .body("runs[0].status", equalTo("queued"));
    }

    @Test
    void invalidSweepsAre400WithTheFieldNamed() {
        post("/api/sweeps", sweepJson("s-bad", "1.5"), 400)
                .getString("error").startsWith("sparsities[0]: 1.5 is outside [0, 1)");
        authorized().contentType(ContentType.JSON).body(sweepJson("s-bad", "1.5")).post("/api/sweeps")
                .then().statusCode(400).body("error", equalTo("sparsities[0]: 1.5 is outside [0, 1)"));
        authorized().contentType(ContentType.JSON).body(sweepJson("s-bad", "0.5").replace("wanda", "prune-all"))
                .post("/api/sweeps").then().statusCode(400).body("error", startsWith("methods[0]: unknown method"));
        authorized().contentType(ContentType.JSON).body("{not json").post("/api/sweeps")
                .then().statusCode(400).body("error", startsWith("(json): not valid JSON"));
        String missing = MODEL.resolveSibling("no-such-model.bin").toString();
        authorized().contentType(ContentType.JSON).body(sweepJson("s-bad", "0.5").replace(MODEL.toString(), missing))
                .post("/api/sweeps").then().statusCode(400)
                .body("error", equalTo("model.path: models:no-such-model.bin does not exist"));
        // outside the roots: one answer whether the file exists or not, and no server path in it
        for (String outside : java.util.List.of("/etc/passwd", "/etc/no-such-file", "/", "file:///proc/self/environ",
                MODEL.getParent() + "/../../etc/shadow")) {
            authorized().contentType(ContentType.JSON).body(sweepJson("s-bad", "0.5").replace(MODEL.toString(), outside))
                    .post("/api/sweeps").then().statusCode(400).body("error", startsWith(
                            "model.path: is outside the directories this lab reads from"));
        }
        // a relative path means nothing on a server: refused without being resolved
        authorized().contentType(ContentType.JSON).body(sweepJson("s-bad", "0.5").replace(MODEL.toString(),
                "../../../etc/shadow")).post("/api/sweeps").then().statusCode(400)
                .body("error", equalTo("model.path: must be an absolute path or a file: URI"));
        assertEquals(0, runRequests.received().size());
    }

    @Test
    void aSingleRunGetsADeterministicId() {
        String body = """
                {"model": {"path": "%s"}, "prune": {"method": "sparsegpt", "pattern": "2:4"}}
                """.formatted(MODEL);
        String runId = post("/api/runs", body, 202).getString("runId");
        assertTrue(runId.matches("run-[0-9a-f]{12}"), runId);
        JsonPath again = post("/api/runs", body, 202);
        assertEquals(runId, again.getString("runId"));
        assertEquals(false, again.getBoolean("published"));
        assertEquals(1, runRequests.received().size());
        assertEquals(null, published().get(0).sweepId());
        given().get("/api/runs/" + runId).then().statusCode(200).body("status", equalTo("queued"))
                .body("request.prune.pattern", equalTo("2:4"));
        given().get("/api/runs").then().statusCode(200).body("runId", org.hamcrest.Matchers.hasItem(runId));

        authorized().contentType(ContentType.JSON).body(body.replace("\"pattern\": \"2:4\"", "\"sparsity\": 1.5"))
                .post("/api/runs").then().statusCode(400).body("error", equalTo("prune.sparsity: 1.5 is outside [0, 1)"));
        given().get("/api/runs/no-such-run").then().statusCode(404).body("error", containsString("no-such-run"));
        given().get("/api/sweeps/no-such-sweep").then().statusCode(404);
    }

    @Test
    void joinedResultsShowPerplexityEnergyAndCarbonForEveryRun() {
        List<String> runIds = post("/api/sweeps", sweepJson("s-join", "0.0, 0.5"), 202).getList("runIds", String.class);
        var source = connector.<String>source(PipelineEventsConsumer.CHANNEL);
        Instant t0 = Instant.parse("2026-02-01T10:00:00Z");
        for (int s = 0; s <= 100; s += 10) {
            source.send(encode(new PowerSample(t0.plusSeconds(s), "test-host", "cpu", 20, EnergySource.ESTIMATE,
                    "cpu time x 3.5 W per core")));
        }
        EnergyMeasurement measured = Fixtures.energy(0.02, 0.001, 400, 10);
        for (int i = 0; i < runIds.size(); i++) {
            String id = runIds.get(i);
            source.send(encode(new ModelPruned(id, t0.plusSeconds(i * 20L), new ArtifactRef("file:/tmp/a/" + id,
                    "0".repeat(64), 1_000_000), new PruneSummary("wanda", "x", 0.5, 0.5, 260_000L, 130_000L, 1.0, null),
                    null, new EnergyUse(EnergySource.ESTIMATE, "cpu time", 5, 10.0, 8.0, 3.0, "process"))));
            source.send(encode(new ModelEvaluated(id, t0.plusSeconds(i * 20L + 10),
                    new EvaluationMetrics(6.0 + i, null, null, null, null, 1_000_000L, null, null),
                    new MeasurementWindow(t0.plusSeconds(i * 20L), t0.plusSeconds(i * 20L + 10), "test-host", "cpu",
                            "cpu"), measured)));
            source.send(encode(new ModelEvaluated(id, t0.plusSeconds(i * 20L + 11), // a redelivery, later stamp
                    new EvaluationMetrics(99.0, null, null, null, null, 1L, null, null),
                    new MeasurementWindow(t0, t0.plusSeconds(1), "test-host", "cpu", "cpu"))));
        }
        JsonPath sweep = poll(() -> new JsonPath(given().get("/api/sweeps/s-join").then().statusCode(200).extract()
                .asString()).using(new JsonPathConfig(JsonPathConfig.NumberReturnType.DOUBLE)),
                j -> j.getBoolean("finished"));
        assertEquals("done", sweep.getString("status"));
        for (int i = 0; i < runIds.size(); i++) {
            Map<String, Object> results = sweep.getMap("runs[" + i + "].results");
            assertEquals(6.0 + i, ((Number) results.get("perplexity")).doubleValue(), 1e-9, "first evaluation wins");
            assertEquals(measured.joules(), ((Number) results.get("energyJoules")).doubleValue(), 1e-9);
            assertEquals(10.0, ((Number) results.get("pruneJoules")).doubleValue(), 1e-9);
            assertEquals((measured.joules() + 10) / 3.6e6 * 475, ((Number) results.get("carbonGrams")).doubleValue(),
                    1e-12);
            assertEquals(0.02, sweep.getDouble("runs[" + i + "].results.decodeJoulesPerToken.mean"), 1e-12);
            assertEquals("done", sweep.getString("runs[" + i + "].status"));
        }
        assertEquals(4, sweep.getList("runs").size(), "redelivered events add no run");
        assertEquals("dense-run", sweep.getString("recommendation.baseline.source"));
        assertNotNull(sweep.getString("recommendation.runId"));
        assertTrue(sweep.getList("pareto.runIds").contains(sweep.getString("recommendation.runId")));
        assertEquals(sweep.getString("recommendation.runId"),
                given().get("/api/sweeps").then().statusCode(200).extract().jsonPath()
                        .getString("find { it.sweepId == 's-join' }.recommendation.runId"));
        given().get("/api/sweeps/s-join?maxPerplexityIncrease=abc").then().statusCode(400)
                .body("error", equalTo("maxPerplexityIncrease: 'abc' is not a number"));
        given().get("/api/sweeps/s-join?minSpeedup=-1").then().statusCode(400)
                .body("error", containsString("minSpeedup"));
        String csv = given().get("/api/sweeps/s-join/emissions.csv").then().statusCode(200)
                .contentType(containsString("text/csv")).extract().asString();
        assertTrue(csv.startsWith("timestamp,project_name,run_id,experiment_id,duration,emissions,"), csv);
        assertEquals(1 + runIds.size(), csv.lines().count(), csv);
        given().get("/api/runs/" + runIds.get(1)).then().statusCode(200)
                .body("versusDense.denseRunId", equalTo(runIds.get(0)))
                .body("results.decodeSpeedup.verdict", equalTo("no difference"));
        given().get("/q/metrics").then().statusCode(200).body(containsString("prunelab_power_last_watts"))
                .body(containsString("prunelab_runs_started_total"));
    }

    @Test
    void aSweepWithOneRunWhoseIntervalReachesBelowZeroStillRenders() {
        // dense's energy stage is an older event: a linear interval at small n, 0.020 +- 0.025 J/token. Before, the
        // ratio to it threw and GET /api/sweeps/{id} answered 400: the dashboard and ./lab sweep lost the sweep.
        var source = connector.<String>source(PipelineEventsConsumer.CHANNEL);
        ModelRef model = new ModelRef(MODEL.toString(), null);
        PruneSpec dense = PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.0);
        PruneSpec wanda = PruneSpec.unstructured(PruneMethod.WANDA, 0.5);
        PruneSpec magnitude = PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5);
        source.send(encode(new RunRequested("neg-dense", Fixtures.T0, "s-negative", model, dense, null, null)));
        source.send(encode(new RunRequested("neg-wanda", Fixtures.T0, "s-negative", model, wanda, null, null)));
        source.send(encode(new RunRequested("neg-magnitude", Fixtures.T0, "s-negative", model, magnitude, null, null)));
        source.send(encode(Fixtures.evaluated("neg-dense", 6.0, 1000, 0.020, 0.025, 400, 12, 1L << 20)));
        source.send(encode(Fixtures.evaluated("neg-wanda", 7.0, 1000, 0.0201, 0.001, 404, 12, 1L << 20)));
        source.send(encode(Fixtures.pairedWith(Fixtures.evaluated("neg-magnitude", 7.5, 1000, 0.0199, 0.001, 401, 12,
                1L << 20), "neg-dense", 0.99, 0.02, 1.0, 0.02)));
        JsonPath sweep = poll(() -> new JsonPath(given().get("/api/sweeps/s-negative").then().statusCode(200).extract()
                .asString()).using(new JsonPathConfig(JsonPathConfig.NumberReturnType.DOUBLE)),
                j -> j.getBoolean("finished"));
        assertEquals(7.0, sweep.getDouble("runs[1].results.perplexity"), 1e-12, "the other runs' figures are shown");
        assertEquals(0.0201, sweep.getDouble("runs[1].results.decodeJoulesPerToken.mean"), 1e-12);
        assertNull(sweep.get("runs[1].results.decodeEnergyRatio"));
        assertTrue(sweep.getString("runs[1].notes[0]").contains("reaches 0 or below: no ratio to it"),
                sweep.getString("runs[1].notes"));
        assertEquals(true, sweep.getBoolean("runs[2].versusDense.paired"), "the paired run keeps its ratio");
        assertEquals("no difference", sweep.getString("runs[2].results.decodeEnergyRatio.verdict"));
        assertEquals("log", sweep.getString("runs[2].energy.reference.decodeEnergyRatio.scale"));
        assertNotNull(sweep.getString("recommendation.runId"));
        given().get("/api/sweeps").then().statusCode(200);
        given().get("/api/sweeps/s-negative/emissions.csv").then().statusCode(200);
        given().get("/api/runs/neg-wanda").then().statusCode(200).body("results.perplexity", equalTo(7.0f));
    }

    @Test
    void deletePublishesTheCancellation() {
        post("/api/sweeps", sweepJson("s-cancel", "0.5"), 202);
        authorized().queryParam("reason", "changed my mind").delete("/api/sweeps/s-cancel").then().statusCode(202)
                .body("sweepId", equalTo("s-cancel"));
        InMemorySink<String> sink = connector.sink(RunRequestPublisher.SWEEP_CANCELLED);
        assertEquals(1, sink.received().size());
        SweepCancelled cancelled = CODEC.decode(sink.received().get(0).getPayload(), SweepCancelled.class);
        assertEquals("changed my mind", cancelled.reason());
        assertEquals("s-cancel", sink.received().get(0).getMetadata(OutgoingKafkaRecordMetadata.class)
                .orElseThrow().getKey());
        given().get("/api/sweeps/s-cancel").then().statusCode(200).body("status", equalTo("cancelling"))
                .body("cancelled", equalTo(true));
        authorized().delete("/api/sweeps/no-such-sweep").then().statusCode(404);
    }

    @Test
    void openApiHealthAndDashboard() {
        String openapi = given().get("/q/openapi?format=json").then().statusCode(200).extract().asString();
        for (String path : List.of("\"/api/sweeps\"", "\"/api/sweeps/{sweepId}\"", "\"/api/runs\"", "\"/api/runs/{runId}\"")) {
            assertTrue(openapi.contains(path), path + " in " + openapi.substring(0, Math.min(500, openapi.length())));
        }
        assertTrue(openapi.contains("Submit a sweep"));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.find { it.name == 'gateway-state' }.status", equalTo("UP"));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/").then().statusCode(200).contentType(containsString("text/html"))
                .body(containsString("/api/sweeps"));
    }

    private static String encode(Event event) {
        return CODEC.encode(event);
    }

    /** How long a condition may take to hold on a loaded machine before a test gives up on it. */
    static final Duration LIMIT = Duration.ofSeconds(120);

    /** Reads {@code get} until {@code done} accepts it (every 100 ms: only the polling interval), at most {@link #LIMIT}. */
    static <T> T poll(Supplier<T> get, java.util.function.Predicate<T> done) {
        long end = System.nanoTime() + LIMIT.toNanos();
        T value = get.get();
        while (!done.test(value)) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("not reached within " + LIMIT.toSeconds() + " s: " + value);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            value = get.get();
        }
        return value;
    }
}
