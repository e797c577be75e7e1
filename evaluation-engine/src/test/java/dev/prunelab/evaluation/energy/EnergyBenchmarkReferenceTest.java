package dev.prunelab.evaluation.energy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.measure.EnergyCounter;
import dev.prunelab.measure.Intervals;
import dev.prunelab.measure.MeanInterval;
import dev.prunelab.measure.MedianInterval;
import dev.prunelab.measure.PowerModel;
import dev.prunelab.measure.ProcessCpuEstimate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pairing math of a reference measured in the same window, the intervals and the baseline, on repeats the test writes. */
class EnergyBenchmarkReferenceTest {

    /** B = 2, N = 50: 100 decode tokens per repeat. */
    private static final EnergySummary.Workload WORKLOAD = new EnergySummary.Workload(16, 50, 2, 4, 0);
    private static final double TOKENS = 100;

    private static EnergyBenchmark.Repeat decode(double seconds, double joules, double idleJoules) {
        return new EnergyBenchmark.Repeat(0.01, seconds, 0.5, joules, 0.1, idleJoules);
    }

    /** Equal repeats of a quantity that cannot be negative: exactly their value, on the log scale. */
    private static void assertExactly(double value, MeanInterval interval, int n) {
        assertEquals(new MeanInterval(value, value, value, n, 0.95, MeanInterval.Scale.LOG), interval);
    }

    @Test
    void aModelAgainstItselfIsExactlyOneWithNoWidth() {
        List<EnergyBenchmark.Repeat> same = List.of(decode(2.0, 8.0, 1.6), decode(2.0, 8.0, 1.6),
                decode(2.0, 8.0, 1.6), decode(2.0, 8.0, 1.6));
        EnergySummary.Reference reference = RepeatFigures.reference("dense", WORKLOAD, same, same);
        assertEquals("dense", reference.runId());
        assertExactly(1.0, reference.decodeEnergyRatio(), 4);
        assertExactly(1.0, reference.decodeSpeedup(), 4);
        assertExactly(8.0 / TOKENS, reference.decodeJoulesPerToken().gross(), 4);
        assertEquals(new MeanInterval((8.0 - 1.6) / TOKENS, (8.0 - 1.6) / TOKENS, (8.0 - 1.6) / TOKENS, 4, 0.95),
                reference.decodeJoulesPerToken().net(), "net may be 0 or below: linear");
        assertEquals(TOKENS / 2.0, reference.decodeTokensPerSecond().median());
    }

    @Test
    void aReferenceChargedTwiceGivesExactlyHalf() {
        List<EnergyBenchmark.Repeat> model = List.of(decode(1.0, 4, 0), decode(1.5, 6, 0), decode(2.0, 8, 0),
                decode(2.5, 10, 0));
        List<EnergyBenchmark.Repeat> twice = List.of(decode(2.0, 8, 0), decode(3.0, 12, 0), decode(4.0, 16, 0),
                decode(5.0, 20, 0));
        EnergySummary.Reference reference = RepeatFigures.reference("dense", WORKLOAD, model, twice);
        assertExactly(0.5, reference.decodeEnergyRatio(), 4);
        assertExactly(2.0, reference.decodeSpeedup(), 4);   // the reference took twice as long per pair
    }

    @Test
    void ratiosArePerPairNotRatiosOfMeans() {
        EnergySummary.Workload three = new EnergySummary.Workload(16, 50, 2, 3, 0);
        List<EnergyBenchmark.Repeat> model = List.of(decode(1, 1, 0), decode(1, 2, 0), decode(3, 6, 0));
        List<EnergyBenchmark.Repeat> reference = List.of(decode(1, 1, 0), decode(4, 4, 0), decode(1, 3, 0));
        EnergySummary.Reference paired = RepeatFigures.reference("dense", three, model, reference);

        MeanInterval energy = Intervals.logMean(new double[] {1.0, 0.5, 2.0});        // 1/1, 2/4, 6/3
        assertEquals(new MeanInterval(energy.mean(), energy.low(), energy.high(), 3, 0.95, MeanInterval.Scale.LOG),
                paired.decodeEnergyRatio());
        assertEquals(1.0, paired.decodeEnergyRatio().mean(), 1e-12, "the geometric mean of 1, 1/2 and 2");
        assertNotEquals(9.0 / 8.0, paired.decodeEnergyRatio().mean(), "not the ratio of the means");
        MeanInterval speed = Intervals.logMean(new double[] {1.0, 4.0, 1.0 / 3});       // 1/1, 4/1, 1/3
        assertEquals(new MeanInterval(speed.mean(), speed.low(), speed.high(), 3, 0.95, MeanInterval.Scale.LOG),
                paired.decodeSpeedup());
        MedianInterval rate = Intervals.median(new double[] {TOKENS / 1, TOKENS / 4, TOKENS / 1});
        assertEquals(new MedianInterval(rate.median(), rate.low(), rate.high(), 3, rate.confidence()),
                paired.decodeTokensPerSecond());
    }

    @Test
    void aRatioOfFewWidelySpreadPairsKeepsAPositiveLowEnd() {
        // Three pairs, one of them 5 times the others: the symmetric interval 2.33 +- 5.74 would reach below 0.
        EnergySummary.Workload three = new EnergySummary.Workload(16, 50, 2, 3, 0);
        List<EnergyBenchmark.Repeat> model = List.of(decode(1, 1, 0), decode(1, 1, 0), decode(1, 5, 0));
        List<EnergyBenchmark.Repeat> reference = List.of(decode(1, 1, 0), decode(1, 1, 0), decode(1, 1, 0));
        MeanInterval ratio = RepeatFigures.reference("dense", three, model, reference).decodeEnergyRatio();
        assertTrue(Intervals.mean(new double[] {1, 1, 5}).low() < 0, "the linear interval would");
        assertEquals(MeanInterval.Scale.LOG, ratio.scale());
        assertTrue(ratio.low() > 0 && ratio.low() < ratio.mean() && ratio.mean() < ratio.high(), ratio.toString());
        assertEquals(Math.cbrt(5), ratio.mean(), 1e-12, "the geometric mean of the pairs' ratios");
    }

    @Test
    void aPhaseThatReadZeroJoulesGivesALinearIntervalClampedAtZeroAndSaysSo() {
        MeanInterval i = Intervals.positiveMean(new double[] {0, 0, 3});
        assertEquals(MeanInterval.Scale.CLAMPED, i.scale());
        assertEquals(0, i.low());
        assertEquals(1, i.mean(), 1e-12);
        assertEquals(1 + 4.303 * Math.sqrt(3.0 / 3), i.high(), 1e-9);
    }

    /** A counter of the given scope whose joules the test never reads. */
    private static EnergyCounter counter(EnergyCounter.Scope scope) {
        return new EnergyCounter() {
            @Override
            public String source() {
                return "rapl";
            }

            @Override
            public String device() {
                return "cpu";
            }

            @Override
            public String basis() {
                return "test";
            }

            @Override
            public Scope scope() {
                return scope;
            }

            @Override
            public double joules() {
                return 0;
            }
        };
    }

    @Test
    void theEstimatesBaselineIsItsModelsIdleShareNotTheSleepingProcesssCpuTime() {
        // 3.5 W per busy core, 0.74 W of it idle; the sleeping process spent some CPU time (JIT, GC): 0.05 W.
        ProcessCpuEstimate estimate = new ProcessCpuEstimate(PowerModel.CCF_AWS, () -> 0L);
        IdleBaseline slept = new IdleBaseline(2.0, 0.05, 0.1);
        // Two repeats that kept 1.5 cores busy: 3 s of phases, 4.5 CPU-seconds, 15.75 J gross.
        double share = 0.74 / 3.5;
        List<EnergyBenchmark.Repeat> repeats = List.of(
                new EnergyBenchmark.Repeat(0.5, 1.0, 2.625, 5.25, 2.625 * share, 5.25 * share),
                new EnergyBenchmark.Repeat(0.5, 1.0, 2.625, 5.25, 2.625 * share, 5.25 * share));
        EnergySummary.Baseline reported = slept.reported(estimate, repeats);
        assertEquals(0.74 * 1.5, reported.watts(), 1e-12, "idle watts per core x the cores charged");
        assertEquals(2.0, reported.seconds());
        assertEquals(0.1, reported.hostUtilisation());
        assertTrue(reported.basis().startsWith("not measured: the estimate's idle share, 0.74 W per core x 1.50 cores "
                + "charged"), reported.basis());
        // net = gross - baseline x seconds, as for a counter
        double gross = 2 * (2.625 + 5.25);
        double idle = repeats.stream().mapToDouble(r -> r.prefillIdleJoules() + r.decodeIdleJoules()).sum();
        assertEquals(idle, reported.watts() * 3.0, 1e-12);
        assertEquals(gross * (1 - share), gross - reported.watts() * 3.0, 1e-12);

        EnergySummary.Baseline measured = slept.reported(counter(EnergyCounter.Scope.HOST), repeats);
        assertEquals(new EnergySummary.Baseline(2.0, 0.05, 0.1,
                "measured: the rapl counter's mean power over 2.0 s with this process asleep"), measured);
    }
}
