package dev.prunelab.gateway.service;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.Topics;
import dev.prunelab.service.BrokerClients;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Against a real broker: the state is rebuilt from the topics at start (ignoring a forged event), a sweep's runs
 * land on the topic, and a search a killed gateway was running goes on where it was.
 */
@QuarkusTest
@WithTestResource(RealKafka.class)
class GatewayKafkaTest {

    @Test
    void rebuildsItsStateFromTheTopicsThenPublishesASweepsRuns() throws Exception {
        // Ready only once the replay reached the end offsets seen at start; then the history is all there.
        GatewayResourceTest.poll(() -> given().get("/q/health/ready").then().extract().statusCode(), s -> s == 200);
        JsonPath history = given().get("/api/sweeps/" + RealKafka.HISTORY_SWEEP).then().statusCode(200)
                .extract().jsonPath();
        assertEquals("done", history.getString("runs[0].status"));
        assertEquals(7.25f, history.getFloat("runs[0].results.perplexity"));
        assertEquals(0.02f, history.getFloat("runs[0].results.decodeJoulesPerToken.mean"), 1e-6);
        assertEquals(RealKafka.HISTORY_RUN, history.getString("recommendation.runId"));
        // A model.evaluated from a source that does not own the type is ignored: the run is still waiting.
        JsonPath forged = given().get("/api/runs/" + RealKafka.FORGED_RUN).then().statusCode(200).extract().jsonPath();
        assertEquals("queued", forged.getString("status"));
        assertNull(forged.get("results"));

        List<String> runIds = GatewayResourceTest.authorized().contentType(ContentType.JSON)
                .body(GatewayResourceTest.sweepJson("s-kafka", "0.5, 0.7")).post("/api/sweeps")
                .then().statusCode(202).extract().jsonPath().getList("runIds", String.class);
        assertEquals(4 + 1, runIds.size()); // + the dense reference

        Map<String, ConsumerRecord<String, String>> seen =
                BrokerClients.firstRecords(Topics.RUN_REQUESTED, runIds, GatewayResourceTest.LIMIT);
        assertTrue(seen.keySet().containsAll(runIds), "published " + seen.keySet() + ", expected " + runIds);
        EventCodec codec = new EventCodec();
        for (String runId : runIds) {
            ConsumerRecord<String, String> record = seen.get(runId);
            RunRequested run = codec.decode(record.value(), RunRequested.class);
            assertEquals(runId, run.runId());
            assertEquals("s-kafka", run.sweepId());
            assertEquals("/prunelab/gateway",
                    new String(record.headers().lastHeader(CloudEvents.SOURCE).value(), StandardCharsets.UTF_8));
        }
        // The gateway reads its own requests back: every run is listed once.
        GatewayResourceTest.poll(() -> given().get("/api/sweeps/s-kafka").then().statusCode(200).extract().jsonPath()
                .getList("runs").size(), n -> n == 4 + 1);
    }

    @Test
    void resumesTheSearchItsPredecessorWasRunningWithoutRepeatingAFinishedRun() {
        GatewayResourceTest.poll(() -> given().get("/q/health/ready").then().extract().statusCode(), s -> s == 200);
        var search = RealKafka.midSearch();
        Instant t0 = Instant.parse("2026-01-01T01:00:00Z");
        String missing = search.screenRun(search.candidates().get(1), t0).runId();
        List<String> before = RealKafka.midSearchHistory().stream().filter(e -> e instanceof RunRequested)
                .map(e -> e.key()).toList();
        // The restarted gateway proposes the screen its predecessor had not, once it caught up with the topics.
        Map<String, Integer> published = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = BrokerClients.consumerFromStart("resume-")) {
            consumer.subscribe(List.of(Topics.RUN_REQUESTED));
            long end = System.nanoTime() + GatewayResourceTest.LIMIT.toNanos();
            while (!published.containsKey(missing) && System.nanoTime() - end < 0) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> published.merge(r.key(), 1, Integer::sum));
            }
            // read on to the end: a repeated request would have been acknowledged before the missing one was sent
            Map<TopicPartition, Long> last = consumer.endOffsets(consumer.assignment());
            while (last.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> published.merge(r.key(), 1, Integer::sum));
            }
        }
        assertTrue(published.containsKey(missing), "the missing screen was not proposed: " + published.keySet());
        for (String runId : before) {
            assertEquals(1, published.get(runId), runId + " was published again");
        }
        JsonPath view = GatewayResourceTest.poll(() -> given().get("/api/searches/" + RealKafka.MID_SEARCH).then()
                .statusCode(200).extract().jsonPath(), j -> j.getInt("counts.published") == 4);
        assertEquals("running", view.getString("status"));
        assertEquals(1, view.getInt("counts.screened"));
    }
}
