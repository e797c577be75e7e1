package dev.prunelab.energy.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.PowerSample;
import dev.prunelab.vocabulary.EnergySource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import io.smallrye.reactive.messaging.memory.InMemorySink;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;

/** Samples on the outgoing channel (in-memory connector), metrics and health. */
@QuarkusTest
@WithTestResource(value = InMemorySamples.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class EnergyMeterTest {

    private static final EventCodec CODEC = new EventCodec();

    @Inject
    @Any
    InMemoryConnector connector;

    @Test
    void samplesArriveLabelledWithHostDeviceSourceAndIncreasingTime() {
        List<Message<String>> messages = awaitSamples(4);
        List<PowerSample> cpu = messages.stream().map(m -> CODEC.decode(m.getPayload(), PowerSample.class))
                .filter(s -> s.device().startsWith("cpu")).toList();
        assertTrue(cpu.size() >= 3, cpu.toString());
        for (PowerSample sample : cpu) {
            assertEquals(InMemorySamples.HOST, sample.host());
            assertNotNull(sample.source());
            assertFalse(sample.basis().isBlank());
            assertTrue(sample.watts() >= 0 && Double.isFinite(sample.watts()), sample.toString());
            if (sample.source() == EnergySource.ESTIMATE) { // this machine: no RAPL, no GPU
                assertEquals("cpu", sample.device());
                int cores = Runtime.getRuntime().availableProcessors();
                assertTrue(sample.basis().contains(cores + " cores x (0.74 W"), sample.basis());
                assertTrue(sample.watts() >= cores * 0.74 - 1e-9 && sample.watts() <= cores * 3.5 + 1e-9,
                        "between every core idle and every core busy: " + sample);
            }
        }
        var byDevice = cpu.stream().collect(Collectors.groupingBy(PowerSample::device));
        for (List<PowerSample> series : byDevice.values()) {
            for (int i = 1; i < series.size(); i++) {
                assertTrue(series.get(i).occurredAt().isAfter(series.get(i - 1).occurredAt()), series.toString());
            }
        }
        Message<String> first = messages.get(0);
        PowerSample sample = CODEC.decode(first.getPayload(), PowerSample.class);
        OutgoingKafkaRecordMetadata<?> metadata = first.getMetadata(OutgoingKafkaRecordMetadata.class).orElseThrow();
        assertEquals(sample.host() + "/" + sample.device(), metadata.getKey());
        assertEquals("dev.prunelab.power.sample", header(metadata, CloudEvents.TYPE));
        assertEquals("/prunelab/energy-meter-service", header(metadata, CloudEvents.SOURCE));
        assertEquals(sample.occurredAt().toString(), header(metadata, CloudEvents.TIME));
    }

    @Test
    void metricsShowTheLastSampleAndTheCount() {
        awaitSamples(2);
        String metrics = RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("prunelab_power_watts{device=\"cpu\",host=\"" + InMemorySamples.HOST
                + "\",source=\"estimate\"}") || metrics.contains("source=\"rapl\""), metrics);
        assertTrue(metrics.contains("prunelab_power_samples_published_total{host=\"" + InMemorySamples.HOST + "\"}"));
        assertTrue(metrics.contains("prunelab_power_sampling_failures_total"));
    }

    @Test
    void liveAndReadyWhileSampling() {
        awaitSamples(1);
        RestAssured.get("/q/health/live").then().statusCode(200)
                .body(Matchers.containsString("power-sampling"));
        RestAssured.get("/q/health/ready").then().statusCode(200);
    }

    private List<Message<String>> awaitSamples(int count) {
        InMemorySink<String> sink = connector.sink("power-sample");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (sink.received().size() < count) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("only " + sink.received().size() + " samples within 30 s");
            }
            pause();
        }
        return List.copyOf(sink.received());
    }

    static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static String header(OutgoingKafkaRecordMetadata<?> metadata, String name) {
        Header header = metadata.getHeaders().lastHeader(name);
        assertNotNull(header, name);
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    @Test
    void everyPrunelabMetricHasHelpText() {
        String page = io.restassured.RestAssured.given().accept("text/plain; version=0.0.4").get("/q/metrics")
                .then().statusCode(200).extract().asString();
        dev.prunelab.service.MetricsPage.save(page, java.nio.file.Path.of("target", "scraped", "metrics"));
        java.util.Map<String, String> help = dev.prunelab.service.MetricsPage.prunelabHelp(page);
        org.junit.jupiter.api.Assertions.assertTrue(help.keySet().containsAll(java.util.List.of(
                "prunelab_power_samples_published_total",
                "prunelab_power_sampling_failures_total",
                "prunelab_power_publish_failures_total")), help.toString());
        org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of(),
                dev.prunelab.service.MetricsPage.withoutHelp(help), "families without # HELP text");
    }
}
