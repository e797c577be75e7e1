package dev.prunelab.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.measure.MeanInterval;
import dev.prunelab.measure.MedianInterval;
import dev.prunelab.vocabulary.EnergySource;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The scale of a mean's interval and the basis of the idle baseline travel with the event; events written before
 * either existed (kept forever in the compacted topics) still decode: linear, without a basis.
 */
class IntervalScaleTest {

    private final EventCodec codec = new EventCodec();

    private static final String OLDER = "{\"schemaVersion\":1,\"type\":\"model.evaluated\",\"runId\":\"r\","
            + "\"occurredAt\":\"2026-01-31T12:00:41Z\",\"metrics\":{\"perplexity\":7.9},"
            + "\"window\":{\"start\":\"2026-01-31T12:00:10Z\",\"end\":\"2026-01-31T12:00:40Z\",\"host\":\"h\",\"device\":\"cpu\"},"
            + "\"energy\":{\"source\":\"estimate\",\"device\":\"cpu\",\"basis\":\"cpu time\","
            + "\"workload\":{\"promptTokens\":64,\"decodeTokens\":192,\"batch\":1,\"repeats\":3,\"warmups\":1},"
            + "\"start\":\"2026-01-31T12:00:27Z\",\"end\":\"2026-01-31T12:00:40Z\",\"waitedSeconds\":0,"
            + "\"baseline\":{\"seconds\":2.0,\"watts\":0.01},\"joules\":4.6,\"seconds\":1.2,"
            + "\"prefillJoulesPerToken\":{\"gross\":{\"mean\":0.001,\"low\":-0.002,\"high\":0.004,\"n\":3,\"confidence\":0.95},"
            + "\"net\":{\"mean\":0.0008,\"low\":-0.002,\"high\":0.003,\"n\":3,\"confidence\":0.95}},"
            + "\"decodeJoulesPerToken\":{\"gross\":{\"mean\":0.012,\"low\":0.011,\"high\":0.013,\"n\":3,\"confidence\":0.95},"
            + "\"net\":{\"mean\":0.009,\"low\":0.008,\"high\":0.010,\"n\":3,\"confidence\":0.95}},"
            + "\"ttftMillis\":{\"median\":19.8,\"low\":19.3,\"high\":22.6,\"n\":3,\"confidence\":0.75},"
            + "\"decodeTokensPerSecond\":{\"median\":304.5,\"low\":298.8,\"high\":312.4,\"n\":3,\"confidence\":0.75}}}";

    @Test
    void anOlderEventWithoutScaleOrBasisDecodesAsLinear() {
        ModelEvaluated older = codec.decode(OLDER, ModelEvaluated.class);
        MeanInterval gross = older.energy().prefillJoulesPerToken().gross();
        assertEquals(MeanInterval.Scale.LINEAR, gross.scale());
        assertEquals(-0.002, gross.low(), "an older linear interval of a positive quantity may reach below 0");
        assertEquals(new EnergyMeasurement.Baseline(2.0, 0.01, null, null), older.energy().baseline());
    }

    @Test
    void aLogScaleIntervalAndTheBaselinesBasisRoundTrip() {
        MeanInterval log = new MeanInterval(0.012, 0.0101, 0.0143, 3, 0.95, MeanInterval.Scale.LOG);
        MeanInterval net = new MeanInterval(0.009, -0.001, 0.019, 3, 0.95);
        EnergyMeasurement.PerToken perToken = new EnergyMeasurement.PerToken(log, net);
        MedianInterval speed = new MedianInterval(300, 290, 310, 3, 0.75);
        Instant t = Instant.parse("2026-01-31T12:00:00Z");
        ModelEvaluated event = new ModelEvaluated("r", t, new EvaluationMetrics(7.9, null, null, null, null, null,
                null, null), new MeasurementWindow(t, t.plusSeconds(30), "h", "cpu", "cpu"),
                new EnergyMeasurement(EnergySource.ESTIMATE, "cpu", "cpu time", null,
                        new EnergyMeasurement.Workload(64, 192, 1, 3, 1), t, t.plusSeconds(10), 0,
                        new EnergyMeasurement.Baseline(2.0, 0.74, null, "not measured: the estimate's idle share"),
                        4.6, 1.2, perToken, perToken, speed, speed));
        String json = codec.encode(event);
        assertTrue(json.contains("\"scale\":\"log\""), json);
        assertTrue(json.contains("\"scale\":\"linear\""), json);
        assertEquals(event, codec.decode(json));
        InvalidEventException unknown = assertThrows(InvalidEventException.class,
                () -> codec.decode(json.replace("\"scale\":\"log\"", "\"scale\":\"sqrt\"")));
        assertTrue(unknown.getMessage().contains("unknown interval scale 'sqrt' (expected linear|log|clamped)"),
                unknown.getMessage());
    }
}
