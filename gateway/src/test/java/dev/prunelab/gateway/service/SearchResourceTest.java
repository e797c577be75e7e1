package dev.prunelab.gateway.service;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.EventCodec;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SearchRequested;
import dev.prunelab.events.SweepCancelled;
import dev.prunelab.gateway.Fixtures;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import io.smallrye.reactive.messaging.memory.InMemorySink;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code /api/searches} on the in-memory channels: what a search publishes, when, and what it refuses. */
@QuarkusTest
@WithTestResource(InMemoryChannels.class)
class SearchResourceTest {

    private static final EventCodec CODEC = new EventCodec();
    /** Any instant serves: these searches have no time budget, so the clock does not enter their steps. */
    private static final Instant NOW = Fixtures.T0;

    @Inject
    @Any
    InMemoryConnector connector;

    @Inject
    SearchAdvancer advancer;

    @Inject
    GatewayState state;

    private InMemorySink<String> runRequests;
    private InMemorySink<String> searches;

    @BeforeEach
    void sinks() {
        runRequests = connector.sink(RunRequestPublisher.RUN_REQUESTED);
        runRequests.clear();
        searches = connector.sink(RunRequestPublisher.SEARCH_REQUESTED);
        searches.clear();
        connector.sink(RunRequestPublisher.SWEEP_CANCELLED).clear();
    }

    static String searchJson(String searchId, String extra) {
        return """
                {"searchId": "%s", "model": {"path": "%s"}, "methods": ["wanda", "magnitude"],
                 "sparsities": [0.5], "evaluation": {"perplexity": {"maxWindows": 8}}, "screenWindows": 2%s}
                """.formatted(searchId, GatewayResourceTest.MODEL.toString().replace("\\", "\\\\"), extra);
    }

    private List<RunRequested> published() {
        return runRequests.received().stream().map(m -> CODEC.decode(m.getPayload(), RunRequested.class)).toList();
    }

    @Test
    void aSearchIsRecordedInKafkaAndProposesItsRunsAsEarlierOnesFinish() {
        JsonPath accepted = GatewayResourceTest.post("/api/searches", searchJson("q-rest", ""), 202);
        assertTrue(accepted.getBoolean("accepted"));
        assertEquals(1, searches.received().size());
        SearchRequested recorded = CODEC.decode(searches.received().get(0).getPayload(), SearchRequested.class);
        assertEquals("q-rest", recorded.searchId());
        List<RunRequested> first = published();
        assertEquals(List.of("dense", "dense"), first.stream().map(r -> r.prune().label()).toList());
        assertEquals(List.of("q-rest", "q-rest-screen"), first.stream().map(RunRequested::sweepId).toList());
        assertEquals(accepted.getList("published", String.class), first.stream().map(RunRequested::runId).toList());

        // resubmitted: nothing new; another search under the same id: refused
        JsonPath again = GatewayResourceTest.post("/api/searches", searchJson("q-rest", ""), 202);
        assertFalse(again.getBoolean("accepted"));
        assertEquals(List.of(), again.getList("published", String.class));
        GatewayResourceTest.post("/api/searches", searchJson("q-rest", ", \"keepOneIn\": 4"), 409);
        assertEquals(2, runRequests.received().size());

        // two in flight (parallel 2): a tick proposes nothing until one finishes
        advancer.advance(NOW);
        assertEquals(2, runRequests.received().size());
        var source = connector.<String>source(PipelineEventsConsumer.CHANNEL);
        source.send(CODEC.encode(Fixtures.pruned(first.get(1).runId(), first.get(1).prune(), 1000, null)));
        source.send(CODEC.encode(Fixtures.evaluated(first.get(1).runId(), 6.0, 1000, null, 0, 100, 1, 1L << 20)));
        GatewayResourceTest.poll(() -> state.join().get(first.get(1).runId()).orElseThrow().state().isFinal(), b -> b);
        advancer.advance(NOW);
        List<RunRequested> next = published().subList(2, published().size());
        assertEquals(List.of("wanda 0.5"), next.stream().map(r -> r.prune().label()).toList());
        assertEquals(2, next.get(0).evaluation().perplexity().maxWindows(), "a screen scores screenWindows windows");

        given().get("/api/searches/q-rest").then().statusCode(200).body("status", equalTo("running"))
                .body("counts.candidates", equalTo(2)).body("counts.published", equalTo(3))
                .body("counts.inFlight", equalTo(2)).body("candidates[0].label", equalTo("wanda 0.5"))
                .body("candidates[0].screenState", equalTo("requested"));
        given().get("/api/searches").then().statusCode(200).body("searchId", org.hamcrest.Matchers.hasItem("q-rest"));
        given().get("/api/sweeps/q-rest-screen").then().statusCode(200);
        // q-rest at least (tests sharing this application may have searches of their own under way)
        GatewayResourceTest.poll(() -> given().get("/q/metrics").then().statusCode(200).extract().asString(),
                m -> m.lines().anyMatch(l -> l.startsWith("prunelab_searches_active{service=\"gateway\"} ")
                        && Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) >= 1));

        // cancelled: both sweeps' cancellations published, no run proposed any more
        GatewayResourceTest.authorized().delete("/api/searches/q-rest").then().statusCode(202);
        InMemorySink<String> cancellations = connector.sink(RunRequestPublisher.SWEEP_CANCELLED);
        assertEquals(List.of("q-rest-screen", "q-rest"), cancellations.received().stream()
                .map(m -> CODEC.decode(m.getPayload(), SweepCancelled.class).sweepId()).toList());
        source.send(CODEC.encode(Fixtures.evaluated(first.get(0).runId(), 5.5, 1000, null, 0, 100, 1, 1L << 20)));
        GatewayResourceTest.poll(() -> state.join().get(first.get(0).runId()).orElseThrow().state().isFinal(), b -> b);
        advancer.advance(NOW);
        assertEquals(3, runRequests.received().size());
        given().get("/api/searches/q-rest").then().statusCode(200).body("stopReason", equalTo("cancelled"));
    }

    @Test
    void badSearchesAre400BeforeAnythingIsPublishedAndUnknownOnes404() {
        GatewayResourceTest.post("/api/searches", searchJson("q-bad", ", \"maxRuns\": 4"), 400);
        JsonPath tooSmall = GatewayResourceTest.post("/api/searches", searchJson("q-bad", ", \"maxRuns\": 4"), 400);
        assertEquals("maxRuns: 4 is too small: the dense run, its screen, the 2 candidates' screens and one full run "
                + "need 5", tooSmall.getString("error"));
        GatewayResourceTest.post("/api/searches", searchJson("q-bad", "").replace("\"wanda\", \"magnitude\"", ""), 400);
        GatewayResourceTest.post("/api/searches", searchJson("q-bad", "").replace(
                GatewayResourceTest.MODEL.toString().replace("\\", "\\\\"), "/etc/passwd"), 400);
        assertEquals(0, runRequests.received().size());
        assertEquals(0, searches.received().size());
        given().contentType(ContentType.JSON).body(searchJson("q-bad", "")).post("/api/searches").then()
                .statusCode(401);
        given().get("/api/searches/no-such-search").then().statusCode(404)
                .body("error", startsWith("unknown search"));
    }
}
