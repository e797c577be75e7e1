package dev.prunelab.evaluation.energy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.prunelab.events.EnergyMeasurement;
import dev.prunelab.events.MeanInterval;
import dev.prunelab.events.MedianInterval;
import dev.prunelab.measure.Intervals;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pairing math of a reference measured in the same window, on repeats the test writes. */
class EnergyBenchmarkReferenceTest {

    /** B = 2, N = 50: 100 decode tokens per repeat. */
    private static final EnergyMeasurement.Workload WORKLOAD = new EnergyMeasurement.Workload(16, 50, 2, 4, 0);
    private static final double TOKENS = 100;

    private static EnergyBenchmark.Repeat decode(double seconds, double joules, double idleJoules) {
        return new EnergyBenchmark.Repeat(0.01, seconds, 0.5, joules, 0.1, idleJoules);
    }

    private static void assertExactly(double value, MeanInterval interval, int n) {
        assertEquals(new MeanInterval(value, value, value, n, 0.95), interval);
    }

    @Test
    void aModelAgainstItselfIsExactlyOneWithNoWidth() {
        List<EnergyBenchmark.Repeat> same = List.of(decode(2.0, 8.0, 1.6), decode(2.0, 8.0, 1.6),
                decode(2.0, 8.0, 1.6), decode(2.0, 8.0, 1.6));
        EnergyMeasurement.Reference reference = EnergyBenchmark.reference("dense", WORKLOAD, same, same);
        assertEquals("dense", reference.runId());
        assertExactly(1.0, reference.decodeEnergyRatio(), 4);
        assertExactly(1.0, reference.decodeSpeedup(), 4);
        assertExactly(8.0 / TOKENS, reference.decodeJoulesPerToken().gross(), 4);
        assertExactly((8.0 - 1.6) / TOKENS, reference.decodeJoulesPerToken().net(), 4);
        assertEquals(TOKENS / 2.0, reference.decodeTokensPerSecond().median());
    }

    @Test
    void aReferenceChargedTwiceGivesExactlyHalf() {
        List<EnergyBenchmark.Repeat> model = List.of(decode(1.0, 4, 0), decode(1.5, 6, 0), decode(2.0, 8, 0),
                decode(2.5, 10, 0));
        List<EnergyBenchmark.Repeat> twice = List.of(decode(2.0, 8, 0), decode(3.0, 12, 0), decode(4.0, 16, 0),
                decode(5.0, 20, 0));
        EnergyMeasurement.Reference reference = EnergyBenchmark.reference("dense", WORKLOAD, model, twice);
        assertExactly(0.5, reference.decodeEnergyRatio(), 4);
        assertExactly(2.0, reference.decodeSpeedup(), 4);   // the reference took twice as long per pair
    }

    @Test
    void ratiosArePerPairNotRatiosOfMeans() {
        EnergyMeasurement.Workload three = new EnergyMeasurement.Workload(16, 50, 2, 3, 0);
        List<EnergyBenchmark.Repeat> model = List.of(decode(1, 1, 0), decode(1, 2, 0), decode(3, 6, 0));
        List<EnergyBenchmark.Repeat> reference = List.of(decode(1, 1, 0), decode(4, 4, 0), decode(1, 3, 0));
        EnergyMeasurement.Reference paired = EnergyBenchmark.reference("dense", three, model, reference);

        Intervals.Interval energy = Intervals.mean(new double[] {1.0, 0.5, 2.0});        // 1/1, 2/4, 6/3
        assertEquals(new MeanInterval(energy.center(), energy.low(), energy.high(), 3, 0.95), paired.decodeEnergyRatio());
        assertNotEquals(9.0 / 8.0, paired.decodeEnergyRatio().mean(), "not the ratio of the means");
        Intervals.Interval speed = Intervals.mean(new double[] {1.0, 4.0, 1.0 / 3});       // 1/1, 4/1, 1/3
        assertEquals(new MeanInterval(speed.center(), speed.low(), speed.high(), 3, 0.95), paired.decodeSpeedup());
        Intervals.Interval rate = Intervals.median(new double[] {TOKENS / 1, TOKENS / 4, TOKENS / 1});
        assertEquals(new MedianInterval(rate.center(), rate.low(), rate.high(), 3, rate.confidence()),
                paired.decodeTokensPerSecond());
    }
}
