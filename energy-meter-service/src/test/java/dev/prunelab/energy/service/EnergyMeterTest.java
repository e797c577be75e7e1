package dev.prunelab.energy.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.PowerSample;
import dev.prunelab.service.MetricsPage;
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
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;

/**
 * Samples on the outgoing channel (in-memory connector), metrics and health, of the machine {@link InMemorySamples}
 * describes: the test moves its /proc/stat fixture, so every figure is known.
 */
@QuarkusTest
@WithTestResource(value = InMemorySamples.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class EnergyMeterTest {

    private static final EventCodec CODEC = new EventCodec();
    static final Duration LIMIT = Duration.ofSeconds(120);

    @Inject
    @Any
    InMemoryConnector connector;

    /** The fixture's machine under Cloud Carbon Footprint's model: 2 cores x (0.74 W + 60% x (3.5 - 0.74) W). */
    static final double EXPECTED_WATTS = InMemorySamples.CORES * (0.74 + InMemorySamples.UTILISATION * (3.5 - 0.74));

    @ConfigProperty(name = "prunelab.energy.proc-stat")
    Path procStat;

    @Test
    void samplesArriveLabelledWithHostDeviceSourceAndIncreasingTime() {
        List<Message<String>> messages = awaitSamples(4);
        List<PowerSample> samples = messages.stream().map(m -> CODEC.decode(m.getPayload(), PowerSample.class))
                .toList();
        for (PowerSample sample : samples) {
            assertEquals(InMemorySamples.HOST, sample.host());
            assertEquals("cpu", sample.device(), "no NVML asked for: the CPU alone");
            assertEquals(EnergySource.ESTIMATE, sample.source(), "no RAPL under the pinned powercap: " + sample);
            assertTrue(sample.basis().startsWith("estimate, no power sensor: 2 cores x (0.74 W + CPU utilisation from "
                    + procStat + " x 2.76 W), Cloud Carbon Footprint"), sample.basis());
            assertEquals(EXPECTED_WATTS, sample.watts(), 1e-9, "the fixture's host is 60% busy: " + sample);
        }
        for (int i = 1; i < samples.size(); i++) {
            assertTrue(samples.get(i).occurredAt().isAfter(samples.get(i - 1).occurredAt()), samples.toString());
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
        String gauge = "prunelab_power_watts{device=\"cpu\",host=\"" + InMemorySamples.HOST + "\",source=\"estimate\"} ";
        String line = metrics.lines().filter(l -> l.startsWith(gauge)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + gauge + "in\n" + metrics));
        assertEquals(EXPECTED_WATTS, Double.parseDouble(line.substring(gauge.length()).trim()), 1e-9, line);
        assertFalse(metrics.contains("source=\"rapl\""), metrics);
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

    /** Moves the fixture's /proc/stat on until {@code count} samples were published; the sampler ticks meanwhile. */
    private List<Message<String>> awaitSamples(int count) {
        InMemorySink<String> sink = connector.sink("power-sample");
        Instant deadline = Instant.now().plus(LIMIT);
        while (sink.received().size() < count) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("only " + sink.received().size() + " samples within " + LIMIT);
            }
            InMemorySamples.advance(procStat);
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
        MetricsPage.assertHelpedFamilies("prunelab_power_samples_published_total",
                "prunelab_power_sampling_failures_total", "prunelab_power_publish_failures_total");
    }
}
