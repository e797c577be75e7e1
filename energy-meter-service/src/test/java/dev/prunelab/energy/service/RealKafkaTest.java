package dev.prunelab.energy.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.PowerSample;
import dev.prunelab.events.Topics;
import dev.prunelab.service.BrokerClients;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** Against a real broker: a plain Kafka consumer reads the samples from prunelab.power.sample. */
@QuarkusTest
@WithTestResource(value = RealKafka.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class RealKafkaTest {

    private static final EventCodec CODEC = new EventCodec();

    @ConfigProperty(name = "prunelab.energy.proc-stat")
    Path procStat;

    @Test
    void samplesArriveOnTheTopic() {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = BrokerClients.consumerFromStart("test-")) {
            consumer.subscribe(List.of(Topics.POWER_SAMPLE));
            Instant deadline = Instant.now().plus(EnergyMeterTest.LIMIT);
            while (records.size() < 2 && Instant.now().isBefore(deadline)) {
                InMemorySamples.advance(procStat);
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        assertTrue(records.size() >= 2, "samples received: " + records.size());
        for (ConsumerRecord<String, String> record : records) {
            PowerSample sample = CODEC.decode(record.value(), PowerSample.class);
            assertEquals(InMemorySamples.HOST, sample.host());
            assertEquals(sample.key(), record.key());
            assertEquals("dev.prunelab.power.sample",
                    new String(record.headers().lastHeader(CloudEvents.TYPE).value(), StandardCharsets.UTF_8));
        }
        // ready includes the Kafka connector's checks
        RestAssured.get("/q/health/ready").then().statusCode(200);
    }
}
