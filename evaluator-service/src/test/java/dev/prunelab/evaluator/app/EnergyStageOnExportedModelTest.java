package dev.prunelab.evaluator.app;

import static dev.prunelab.measure.Conditions.awaitTrue;
import static dev.prunelab.measure.Conditions.inThread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.prunelab.evaluation.energy.EnergyBenchmark;
import dev.prunelab.evaluation.report.EvaluationReport;
import dev.prunelab.evaluation.suite.EvaluationSuite;
import dev.prunelab.evaluator.app.EvaluationMapper;
import dev.prunelab.events.EnergyMeasurement;
import dev.prunelab.events.EnergySpec;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.events.PerplexitySpec;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.measure.Intervals;
import dev.prunelab.measure.MeanInterval;
import dev.prunelab.measure.PowerModel;
import dev.prunelab.pruning.export.ExportedStories260K;
import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.vocabulary.ExecutionProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluator's energy stage on a real exported stories260K (docs/energy.md "The energy stage"). The machine is the test's: the
 * source is pinned to the estimate (no RAPL under a powercap that does not exist, no NVML), and both clocks the stage
 * reads are the test's, so every figure follows from the code alone, never from how fast or busy this machine is.
 */
@Timeout(300)
class EnergyStageOnExportedModelTest {

    private static final Duration LIMIT = Duration.ofSeconds(120);
    private static final long MILLI_NANOS = 1_000_000;

    @RegisterExtension
    static final ExportedStories260K STORIES = new ExportedStories260K();
    @TempDir
    static Path temp;

    /** auto on a host without RAPL or NVML, the estimate charging the CPU time {@code cpuNanos} reads. */
    static EnergyCounters estimateOnly(LongSupplier cpuNanos) {
        return new EnergyCounters("auto", temp.resolve("no-powercap"), PowerModel.CCF_AWS)
                .withNvml(gpu -> {
                    throw new IOException("NVML is not available: libnvidia-ml cannot be loaded (no NVIDIA driver here)");
                })
                .withCpuClock(cpuNanos);
    }

    /** A clock that moves {@code stepNanos} on at every read: every timed phase lasts exactly one step. */
    static LongSupplier steadyClock(long stepNanos) {
        AtomicLong now = new AtomicLong();
        return () -> now.addAndGet(stepNanos);
    }

    /**
     * A clock whose k-th read moves k x {@code unitNanos} on: every phase between two reads lasts longer than the
     * one before it, and none lasts nothing. Which of two models ran first in a pair is then visible in the figures.
     */
    static LongSupplier slowingClock(long unitNanos) {
        AtomicLong reads = new AtomicLong();
        AtomicLong now = new AtomicLong();
        return () -> now.addAndGet(unitNanos * reads.incrementAndGet());
    }

    private static EvaluationReport evaluate(EnergySpec energy, EnergyBenchmark.Environment environment)
            throws Exception {
        EvaluationSpec spec = new EvaluationSpec(new PerplexitySpec(null, null, 64, 2), null, null, energy, ExecutionProvider.CPU, 1);
        EvaluationSuite.Settings settings = EvaluationMapper.settings(STORIES.directory(), spec);
        assertEquals(List.of("perplexity", "energy"), EvaluationMapper.sections(settings));
        return EvaluationSuite.run(settings, environment, EvaluationSuite.Progress.NONE);
    }

    /**
     * The interval is Student's t over the repeats' own per-token figures, each positive: on the log scale, so it
     * stays positive (the center is their geometric mean).
     */
    private static void assertIntervalOfRepeats(MeanInterval i, double[] perRepeat) {
        assertTrue(Arrays.stream(perRepeat).allMatch(v -> v > 0 && Double.isFinite(v)), Arrays.toString(perRepeat));
        assertEquals(MeanInterval.Scale.LOG, i.scale(), i.toString());
        MeanInterval expected = Intervals.logMean(perRepeat);
        assertEquals(perRepeat.length, i.n());
        assertEquals(expected.mean(), i.mean(), 1e-12 * Math.abs(expected.mean()));
        assertEquals(expected.low(), i.low(), 1e-12 * Math.abs(expected.mean()));
        assertEquals(expected.high(), i.high(), 1e-12 * Math.abs(expected.mean()));
        // the slowing CPU clock makes no two repeats cost the same: the interval has a width
        assertTrue(i.low() < i.mean() && i.mean() < i.high() && i.confidence() == 0.95, i.toString());
    }

    private static double[] perToken(List<EnergyBenchmark.Repeat> repeats, ToDoubleFunction<EnergyBenchmark.Repeat> joules,
            double tokens) {
        return repeats.stream().mapToDouble(r -> joules.applyAsDouble(r) / tokens).toArray();
    }

    /**
     * The estimate's net is its gross less the model's idle share, 0.74 W of 3.5 W, repeat for repeat: its linear
     * interval (net may be 0 or below) is the gross figures' linear interval scaled, bound for bound.
     */
    private static void assertNetIsGrossLessTheIdleShare(EnergyMeasurement.PerToken perToken, double[] grossPerRepeat) {
        double share = 1 - 0.74 / 3.5;
        MeanInterval gross = Intervals.mean(grossPerRepeat);
        MeanInterval net = perToken.net();
        assertEquals(MeanInterval.Scale.LINEAR, net.scale());
        assertEquals(gross.mean() * share, net.mean(), 1e-12 * gross.mean(), perToken.toString());
        assertEquals(gross.low() * share, net.low(), 1e-12 * gross.mean(), perToken.toString());
        assertEquals(gross.high() * share, net.high(), 1e-12 * gross.mean(), perToken.toString());
    }

    @Test
    void perTokenEnergyAndSpeedComeWithIntervalsFromTheRepeats() throws Exception {
        // stories260K's context is 512: 64 + 1000 decode steps is capped to 448.
        EvaluationReport report = evaluate(new EnergySpec(64, 1000, 2, 4, 1, 0.3), new EnergyBenchmark.Environment(
                estimateOnly(slowingClock(1_000)), HostWorkLock.none(), steadyClock(MILLI_NANOS)));
        EnergyMeasurement m = EvaluationMapper.energy(report);
        assertEquals(new EnergyMeasurement.Workload(64, 448, 2, 4, 1), m.workload());
        assertEquals(EnergySource.ESTIMATE, m.source(), m.selection());
        assertTrue(m.selection().startsWith("rapl: no RAPL package zone under "), m.selection());
        assertTrue(m.selection().contains("; estimate: estimate, no power sensor read"), m.selection());
        assertEquals(4, report.energy().repeats().size());
        List<EnergyBenchmark.Repeat> repeats = report.energy().repeats();
        assertIntervalOfRepeats(m.decodeJoulesPerToken().gross(), perToken(repeats, r -> r.decodeJoules(), 2 * 448.0));
        assertIntervalOfRepeats(m.prefillJoulesPerToken().gross(), perToken(repeats, r -> r.prefillJoules(), 2 * 64.0));
        assertNetIsGrossLessTheIdleShare(m.decodeJoulesPerToken(), perToken(repeats, r -> r.decodeJoules(), 2 * 448.0));
        assertNetIsGrossLessTheIdleShare(m.prefillJoulesPerToken(), perToken(repeats, r -> r.prefillJoules(), 2 * 64.0));
        // the baseline's two clock reads are one step apart, whatever its sleep really took
        assertEquals(0.001, m.baseline().seconds(), 1e-15, m.baseline().toString());
        // under the estimate the baseline is the model's idle share of the repeats, not the sleeping process's CPU time
        double idleJoules = repeats.stream().mapToDouble(r -> r.prefillIdleJoules() + r.decodeIdleJoules()).sum();
        double phaseSeconds = repeats.stream().mapToDouble(r -> r.prefillSeconds() + r.decodeSeconds()).sum();
        assertEquals(idleJoules / phaseSeconds, m.baseline().watts(), 1e-12 * m.baseline().watts(), m.baseline().toString());
        assertTrue(m.baseline().basis().startsWith("not measured: the estimate's idle share, 0.74 W per core x "),
                m.baseline().basis());
        double joules = repeats.stream().mapToDouble(r -> r.prefillJoules() + r.decodeJoules()).sum();
        assertEquals(joules, m.joules(), 1e-15);
        // every phase is one step of the clock: 1 ms prefill, 1 ms for 2 x 448 decode tokens
        assertEquals(4 * 0.002, m.seconds(), 1e-15);
        for (EnergyBenchmark.Repeat r : repeats) {
            assertEquals(0.001, r.prefillSeconds(), 1e-15, r.toString());
            assertEquals(0.001, r.decodeSeconds(), 1e-15, r.toString());
        }
        assertEquals(1.0, m.ttftMillis().median(), 1e-12);
        assertEquals(1.0, m.ttftMillis().low(), 1e-12);
        assertEquals(1.0, m.ttftMillis().high(), 1e-12);
        assertEquals(2 * 448 / 0.001, m.decodeTokensPerSecond().median(), 1e-6);
        assertEquals(m.decodeTokensPerSecond().low(), m.decodeTokensPerSecond().high(), 1e-6);
        assertTrue(!m.start().isAfter(m.end()));

        EvaluationMetrics metrics = EvaluationMapper.metrics(report, null);
        assertEquals(m.decodeTokensPerSecond().median(), metrics.decodeTokensPerSecond(),
                "without a latency section the speed headline is the energy window's");
        assertEquals(m.ttftMillis().median(), metrics.ttftMillis());
        assertEquals(2 * 1e3 / m.decodeTokensPerSecond().median(), metrics.tpotMillis(), 1e-15);
        assertNull(metrics.meanAcc());
    }

    @Test
    void aReferenceModelIsMeasuredInTheSameWindowRepeatForRepeat() throws Exception {
        EvaluationSpec spec = new EvaluationSpec(null, null, null, new EnergySpec(16, 64, 1, 4, 0, 0.0), ExecutionProvider.CPU, 1);
        EvaluationSuite.Settings settings = EvaluationMapper.settings(STORIES.directory(), spec,
                new EvaluationSuite.ReferenceModel("dense-run", STORIES.directory()));
        EvaluationReport report = EvaluationSuite.run(settings, new EnergyBenchmark.Environment(
                estimateOnly(slowingClock(1_000)), HostWorkLock.none(), slowingClock(MILLI_NANOS)),
                EvaluationSuite.Progress.NONE);
        EnergyMeasurement.Reference reference = EvaluationMapper.energy(report).reference();
        assertEquals("dense-run", reference.runId());
        List<EnergyBenchmark.Repeat> model = report.energy().repeats();
        List<EnergyBenchmark.Repeat> dense = report.energy().referenceRepeats();
        assertEquals(4, model.size());
        assertEquals(4, dense.size());
        assertIntervalOfRepeats(reference.decodeJoulesPerToken().gross(), perToken(dense, r -> r.decodeJoules(), 64.0));

        double[] energyRatios = new double[4];
        double[] speedups = new double[4];
        for (int i = 0; i < 4; i++) {
            energyRatios[i] = model.get(i).decodeJoules() / dense.get(i).decodeJoules();
            speedups[i] = dense.get(i).decodeSeconds() / model.get(i).decodeSeconds();
            assertTrue(Double.isFinite(energyRatios[i]) && energyRatios[i] > 0, "pair " + i + ": " + energyRatios[i]);
            assertTrue(Double.isFinite(speedups[i]) && speedups[i] > 0, "pair " + i + ": " + speedups[i]);
            // A B, B A, A B, B A: under clocks that slow at every read, whichever ran second in a pair cost more
            boolean modelFirst = i % 2 == 0;
            assertEquals(modelFirst, energyRatios[i] < 1, "pair " + i + " ran in the wrong order: " + energyRatios[i]);
            assertEquals(modelFirst, speedups[i] > 1, "pair " + i + " ran in the wrong order: " + speedups[i]);
        }
        assertEquals(logMean(energyRatios), reference.decodeEnergyRatio(), "the geometric mean over the pairs' own ratios");
        assertEquals(logMean(speedups), reference.decodeSpeedup(), "the geometric mean over the pairs' own speed-ups");
    }

    private static MeanInterval logMean(double[] values) {
        MeanInterval i = Intervals.logMean(values);
        return new MeanInterval(i.mean(), i.low(), i.high(), i.n(), i.confidence(), MeanInterval.Scale.LOG);
    }

    @Test
    void theWindowWaitsForWorkUnderWayAndHoldsNewWorkOff() throws Exception {
        HostWorkLock lock = HostWorkLock.at(temp.resolve("host-lock"));
        HostWorkLock.Hold block = lock.work();   // a pruner's block under way
        FutureTask<EvaluationReport> evaluation = inThread("evaluation", () -> evaluate(new EnergySpec(16, 64, 1, 3, 0, 0.0),
                new EnergyBenchmark.Environment(estimateOnly(slowingClock(1_000)), lock, steadyClock(MILLI_NANOS))));
        awaitTrue(() -> lock.windowPendingInThisJvm() || evaluation.isDone(), "the energy stage asked for its window");
        long pendingSeenNanos = System.nanoTime();   // the window's wait began before this
        if (evaluation.isDone()) {
            evaluation.get();   // its failure, if it failed
            fail("the energy stage ran while a block was under way");
        }

        AtomicReference<Instant> nextBlockAt = new AtomicReference<>();
        Thread next = new Thread(() -> {
            try (HostWorkLock.Hold work = lock.work()) {
                nextBlockAt.set(Instant.now());
            }
        }, "next-block");
        next.start();
        // parked in the lock: a window is waiting, so new work waits too (had it passed, it would have ended)
        awaitTrue(() -> next.getState() == Thread.State.WAITING || next.getState() == Thread.State.TERMINATED,
                "the next block reached the lock");
        assertNull(nextBlockAt.get(), "new work started while the window was waiting");

        Instant releasedAt = Instant.now();
        long releasedNanos = System.nanoTime();
        block.close();
        EvaluationReport report = evaluation.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        next.join(LIMIT.toMillis());
        assertFalse(next.isAlive(), "the next block never ran");
        EnergyMeasurement m = EvaluationMapper.energy(report);
        assertFalse(m.start().isBefore(releasedAt), "the window's repeats began (" + m.start()
                + ") before the block under way ended (" + releasedAt + ")");
        assertTrue(m.waitedSeconds() > 0 && m.waitedSeconds() >= (releasedNanos - pendingSeenNanos) / 1e9,
                "the window says it waited " + m.waitedSeconds() + " s, less than it was kept waiting");
        assertFalse(nextBlockAt.get().isBefore(m.end()), "new work ran inside the window: at " + nextBlockAt.get()
                + ", the window's last repeat ended at " + m.end());
    }
}
