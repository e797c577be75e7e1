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
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Against a real broker: the state is rebuilt from the topics at start (ignoring a forged event), and a sweep's runs
 * land on the topic.
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
}
