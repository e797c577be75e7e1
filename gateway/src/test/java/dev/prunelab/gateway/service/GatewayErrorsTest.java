package dev.prunelab.gateway.service;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.service.MetricsPage;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import io.smallrye.reactive.messaging.memory.InMemorySink;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Strict input and every 4xx as {"error": "<one line>"} (docs/services.md "Errors"). */
@QuarkusTest
@WithTestResource(InMemoryChannels.class)
class GatewayErrorsTest {

    @Inject
    @Any
    InMemoryConnector connector;

    private InMemorySink<String> runRequests;

    @BeforeEach
    void sinks() {
        runRequests = connector.sink(RunRequestPublisher.RUN_REQUESTED);
        runRequests.clear();
    }

    /** The status, and the body's one-line {@code error}, printed so the test log shows every answer. */
    static String refused(Response response, int status) {
        String body = response.then().statusCode(status).contentType(ContentType.JSON).extract().asString();
        System.out.println("answer " + status + " " + body);
        String error = response.jsonPath().getString("error");
        assertTrue(error != null && !error.isBlank() && !error.contains("\n"), body);
        assertFalse(error.contains("com.fasterxml") || error.contains("Source:") || error.contains("`")
                || error.contains("dev.prunelab"), body);
        return error;
    }

    static Response postJson(String path, String body) {
        return GatewayResourceTest.authorized().contentType(ContentType.JSON).body(body).when().post(path);
    }

    static String sweep(String extra) {
        return GatewayResourceTest.sweepJson("s-strict", "0.5").replace("\"sweepId\"", extra + "\"sweepId\"");
    }

    @Test
    void unknownFieldsAreRefusedByName() {
        assertEquals("spars1ties: unknown field (known: calibration, denseBaseline, dtype, evaluations, layerSparsity, "
                + "methods, model, patterns, refinements, sparsities, structured, sweepId, weightBits, weightBlock)",
                refused(postJson("/api/sweeps", sweep("\"spars1ties\": [0.5], ")), 400));
        assertTrue(refused(postJson("/api/sweeps", GatewayResourceTest.sweepJson("s-strict", "0.5")
                .replace("\"maxWindows\"", "\"maxWindow\"")), 400)
                .startsWith("evaluations[0].perplexity.maxWindow: unknown field (known: "));
        String run = "{\"model\": {\"path\": \"" + GatewayResourceTest.MODEL + "\"}, \"prune\": {\"method\": \"wanda\", "
                + "\"sparsity\": 0.5}, \"evaluation\": {\"evaluaton\": {}}}";
        assertTrue(refused(postJson("/api/runs", run), 400).startsWith("evaluation.evaluaton: unknown field"));
        assertEquals(0, runRequests.received().size());
    }

    @Test
    void numbersAndBooleansAsStringsAreRefused() {
        assertEquals("sparsities[0]: expected a number, got '0.5'",
                refused(postJson("/api/sweeps", GatewayResourceTest.sweepJson("s-strict", "\"0.5\"")), 400));
        assertEquals("denseBaseline: expected true or false, got 'false'",
                refused(postJson("/api/sweeps", sweep("\"denseBaseline\": \"false\", ")), 400));
        assertEquals("evaluations[0].perplexity.maxWindows: expected an integer, got '2'",
                refused(postJson("/api/sweeps", GatewayResourceTest.sweepJson("s-strict", "0.5")
                        .replace("\"maxWindows\": 2", "\"maxWindows\": \"2\"")), 400));
        assertEquals(0, runRequests.received().size());
    }

    @Test
    void malformedJsonIsOneLine() {
        assertTrue(refused(postJson("/api/sweeps", GatewayResourceTest.sweepJson("s-strict", "NaN")), 400)
                .matches("\\(json\\): not valid JSON at line \\d+, column \\d+: NaN is not a JSON number"));
        assertTrue(refused(postJson("/api/sweeps", "{\"sweepId\": "), 400)
                .startsWith("(json): not valid JSON at line 1"));
        assertTrue(refused(postJson("/api/runs", "{\"model\": NaN}"), 400).endsWith("NaN is not a JSON number"));
        assertTrue(refused(postJson("/api/sweeps", sweep("\"sweepId\": \"a\", ")), 400).endsWith("field 'sweepId' appears twice"));
    }

    @Test
    void aSweepOverTheRunLimitIsRefusedBeforeAnythingIsPublished() {
        // 3 methods x 167 sparsities + the dense run = 502 runs > 500
        String sparsities = IntStream.rangeClosed(1, 167).mapToObj(i -> String.valueOf(i / 1000.0))
                .collect(Collectors.joining(", "));
        String tooMany = GatewayResourceTest.sweepJson("s-many", sparsities)
                .replace("[\"wanda\", \"magnitude\"]", "[\"wanda\", \"magnitude\", \"sparsegpt\"]");
        assertEquals("(sweep): expands to 502 runs, more than the limit of 500 (prunelab.gateway.max-runs)",
                refused(postJson("/api/sweeps", tooMany), 400));
        String huge = IntStream.rangeClosed(1, 990).mapToObj(i -> String.valueOf(i / 1000.0))
                .collect(Collectors.joining(", "));
        String evaluations = IntStream.range(0, 60).mapToObj(i -> "{\"perplexity\": {\"maxWindows\": " + (i + 1) + "}}")
                .collect(Collectors.joining(", "));
        String farTooMany = GatewayResourceTest.sweepJson("s-huge", huge)
                .replaceAll("\"evaluations\": \\[.*\\]", "\"evaluations\": [" + evaluations + "]");
        assertTrue(refused(postJson("/api/sweeps", farTooMany), 400)
                .startsWith("(sweep): expands to up to 118860 runs, more than the limit of 500"));
        assertEquals(0, runRequests.received().size());
        // 2 methods x 249 + dense = 499: accepted
        String justUnder = IntStream.rangeClosed(1, 249).mapToObj(i -> String.valueOf(i / 1000.0))
                .collect(Collectors.joining(", "));
        postJson("/api/sweeps", GatewayResourceTest.sweepJson("s-under", justUnder)).then().statusCode(202);
        assertEquals(499, runRequests.received().size());
    }

    @Test
    void aBodyOverTheLimitIs413WithAReason() {
        String big = sweep("\"padding\": \"" + "x".repeat(2 * 1024 * 1024) + "\", ");
        String error = refused(postJson("/api/sweeps", big), 413);
        assertTrue(error.startsWith("(body): ") && error.contains("more than the limit of 1048576 bytes"), error);
        assertEquals(0, runRequests.received().size());
    }

    @Test
    void notFoundNotAllowedAndUnsupportedAreJson() {
        assertEquals("no such resource: GET /api/nothing-here", refused(given().get("/api/nothing-here"), 404));
        assertEquals("no such resource: GET /no/such/page", refused(given().get("/no/such/page"), 404));
        assertEquals("unknown sweep 'nope'", refused(given().get("/api/sweeps/nope"), 404));
        assertTrue(refused(GatewayResourceTest.authorized().contentType(ContentType.JSON).body("{}").put("/api/sweeps"), 405)
                .startsWith("method PUT is not allowed on /api/sweeps"));
        assertEquals("unsupported content type 'text/plain; charset=ISO-8859-1' for POST /api/sweeps (expected application/json)",
                refused(GatewayResourceTest.authorized().contentType(ContentType.TEXT).body("{}").post("/api/sweeps"), 415));
        refused(given().accept("application/xml").get("/api/sweeps"), 406);
        given().get("/api/sweeps").then().statusCode(200).body(not(containsString("error")));
    }

    @Test
    void everyPrunelabMetricHasHelpText() {
        MetricsPage.assertHelpedFamilies("prunelab_runs_started_total", "prunelab_runs_finished_total",
                "prunelab_runs_failed_total", "prunelab_runs_in_flight", "prunelab_sweeps_active");
    }
}
