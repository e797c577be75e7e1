package dev.prunelab.evaluation.energy;

import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.speed.LatencyBenchmark;
import dev.prunelab.events.EnergyMeasurement;
import dev.prunelab.events.MeanInterval;
import dev.prunelab.events.MedianInterval;
import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.measure.EnergyCounter;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.HostCpu;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.measure.Intervals;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * The energy stage: a fixed generation workload measured with an energy counter read at the edges of every
 * phase, inside the host's exclusive measurement window ({@link HostWorkLock}), after an idle baseline and
 * warm-up.
 *
 * <pre>
 *   window opens (other lab work on the host pauses) → idle baseline (sleep, counter at both ends)
 *   → W warm-ups → R × [ counter | prefill B×P, first tokens | counter | N decode steps | counter ] → window closes
 * </pre>
 *
 * <p>With a reference model (the sweep's dense run) both models run in the same window, their repeats
 * alternating A B B A A B ...: each pair is measured seconds apart, so the ratio of the pair (J/token, tokens/s)
 * cancels whatever the machine's speed does between windows (the same session measured minutes apart on this
 * 2-core VM moved by 10%). The ratios are means over the pairs with their t intervals.
 *
 * Per repeat: prefill J/token = Δprefill / (B·P), decode J/token = Δdecode / (B·N), gross and net of idle
 * ({@link EnergyCounter#idleJoules}); TTFT = prefill + first tokens; decode tokens/s = B·N / decode seconds.
 * Energy figures are means with Student's t 95% intervals, speed figures medians with order-statistic intervals.
 */
public final class EnergyBenchmark {

    private EnergyBenchmark() {
    }

    /**
     * @param promptTokens P
     * @param decodeTokens N decode steps after the prefill (capped so that P + N fits the context)
     */
    public record Settings(int promptTokens, int decodeTokens, int batch, int repeats, int warmups,
                           double baselineSeconds, long seed) {
        public static final long SEED = 1234;

        public Settings {
            if (promptTokens < 1 || decodeTokens < 1 || batch < 1) {
                throw new IllegalArgumentException("energy workload: prompt tokens " + promptTokens
                        + ", decode tokens " + decodeTokens + " and batch " + batch + " must be positive");
            }
            if (repeats < 3) {
                throw new IllegalArgumentException("energy workload: repeats " + repeats
                        + " must be at least 3 (an interval needs repeats)");
            }
            if (warmups < 0 || !(baselineSeconds >= 0)) {
                throw new IllegalArgumentException("energy workload: warm-ups " + warmups + " and baseline seconds "
                        + baselineSeconds + " must not be negative");
            }
        }

        /** Progress steps: warm-ups and repeats. */
        public int runs() {
            return warmups + repeats;
        }
    }

    /** One recorded repeat, raw: seconds and gross and idle joules of each phase. */
    public record Repeat(double prefillSeconds, double decodeSeconds, double prefillJoules, double decodeJoules,
                         double prefillIdleJoules, double decodeIdleJoules) {
    }

    /** The summary that travels in model.evaluated, and every repeat (and the reference's) for the report. */
    public record Result(EnergyMeasurement measurement, List<Repeat> repeats, List<Repeat> referenceRepeats) {
    }

    /** A model measured in the window as the reference of the one evaluated. */
    public record Reference(String runId, DecoderSession session) {
    }

    /**
     * Where the stage measures: the counter chosen for this work, the host's lock, and the monotonic clock in
     * nanoseconds that times the phases and the baseline (and the latency section's runs).
     */
    public record Environment(EnergyCounters counters, HostWorkLock lock, LongSupplier monotonicNanos) {
        /** One instance, so that two default environments compare equal. */
        private static final LongSupplier SYSTEM_NANOS = System::nanoTime;

        public Environment {
            if (monotonicNanos == null) {
                monotonicNanos = SYSTEM_NANOS;
            }
        }

        /** Timed with {@link System#nanoTime()}. */
        public Environment(EnergyCounters counters, HostWorkLock lock) {
            this(counters, lock, SYSTEM_NANOS);
        }

        public static Environment alone() {
            return new Environment(EnergyCounters.auto(), HostWorkLock.none());
        }
    }

    public static Result run(DecoderSession session, Settings settings, Environment environment,
            IntConsumer progress) {
        return run(session, null, settings, environment, progress);
    }

    /** @param reference measured interleaved in the same window, or null */
    public static Result run(DecoderSession session, Reference reference, Settings settings, Environment environment,
            IntConsumer progress) {
        ModelCard card = session.card();
        int promptTokens = settings.promptTokens();
        int context = reference == null ? card.contextLength()
                : Math.min(card.contextLength(), reference.session().card().contextLength());
        if (promptTokens >= context) {
            throw new IllegalArgumentException("energy workload: prompt tokens " + promptTokens
                    + " leave no room to decode in the model's context of " + context);
        }
        if (reference != null && reference.session().card().vocabSize() != card.vocabSize()) {
            throw new IllegalArgumentException("energy reference " + reference.runId() + " has a vocabulary of "
                    + reference.session().card().vocabSize() + ", this model " + card.vocabSize());
        }
        int decodeTokens = Math.min(settings.decodeTokens(), context - promptTokens);
        int batch = settings.batch();
        long[] prompt = LatencyBenchmark.prompts(card, batch, promptTokens, settings.seed());
        int gpu = "cuda".equals(session.providerUsed()) ? 0 : -1;
        EnergyCounters.Selection selection;
        try {
            selection = environment.counters().select(gpu);
        } catch (IOException e) {
            throw new IllegalStateException("energy: " + e.getMessage(), e);
        }
        LongSupplier clock = environment.monotonicNanos();
        try (EnergyCounter counter = selection.counter();
             HostWorkLock.Hold window = environment.lock().measurementWindow()) {
            Baseline baseline = baseline(counter, settings.baselineSeconds(), clock);
            int done = 0;
            for (int w = 0; w < settings.warmups(); w++) {
                LatencyBenchmark.generate(session, prompt, batch, promptTokens, decodeTokens,
                        LatencyBenchmark.PhaseEdges.NONE, clock);
                if (reference != null) {
                    LatencyBenchmark.generate(reference.session(), prompt, batch, promptTokens, decodeTokens,
                            LatencyBenchmark.PhaseEdges.NONE, clock);
                }
                progress.accept(++done);
            }
            Instant start = Instant.now();
            List<Repeat> repeats = new ArrayList<>();
            List<Repeat> referenceRepeats = new ArrayList<>();
            for (int r = 0; r < settings.repeats(); r++) {
                // A B, B A, A B, ...: neither model always goes first, so a trend within the window cancels too.
                boolean referenceFirst = reference != null && r % 2 == 1;
                if (referenceFirst) {
                    referenceRepeats.add(repeat(reference.session(), counter, baseline, prompt, batch, promptTokens,
                            decodeTokens, clock));
                }
                repeats.add(repeat(session, counter, baseline, prompt, batch, promptTokens, decodeTokens, clock));
                if (reference != null && !referenceFirst) {
                    referenceRepeats.add(repeat(reference.session(), counter, baseline, prompt, batch, promptTokens,
                            decodeTokens, clock));
                }
                progress.accept(++done);
            }
            Instant end = Instant.now();
            var workload = new EnergyMeasurement.Workload(promptTokens, decodeTokens, batch, settings.repeats(),
                    settings.warmups());
            EnergyMeasurement.Reference paired = reference == null ? null
                    : reference(reference.runId(), workload, repeats, referenceRepeats);
            return new Result(summary(counter, selection.why(), workload, start, end, window.waitedSeconds(),
                    baseline, repeats, paired), List.copyOf(repeats), List.copyOf(referenceRepeats));
        }
    }

    /** One timed, metered generation. */
    private static Repeat repeat(DecoderSession session, EnergyCounter counter, Baseline baseline, long[] prompt,
            int batch, int promptTokens, int decodeTokens, LongSupplier clock) {
        Edges edges = new Edges(counter);
        double[] nanos = LatencyBenchmark.generate(session, prompt, batch, promptTokens, decodeTokens, edges, clock);
        double prefillSeconds = nanos[0] / 1e9;
        double decodeSeconds = nanos[1] / 1e9;
        double prefillJoules = edges.readings[1] - edges.readings[0];
        double decodeJoules = edges.readings[2] - edges.readings[1];
        return new Repeat(prefillSeconds, decodeSeconds, prefillJoules, decodeJoules,
                counter.idleJoules(prefillJoules, prefillSeconds, baseline.watts()),
                counter.idleJoules(decodeJoules, decodeSeconds, baseline.watts()));
    }

    /**
     * The reference's own figures in this window, and the pairs' ratios: repeat i of this model against repeat i
     * of the reference (measured next to each other), each pair one ratio, the mean over the pairs with its interval.
     */
    static EnergyMeasurement.Reference reference(String runId, EnergyMeasurement.Workload workload,
            List<Repeat> repeats, List<Repeat> referenceRepeats) {
        int n = repeats.size();
        double tokens = (double) workload.batch() * workload.decodeTokens();
        double[] energyRatio = new double[n];
        double[] speedup = new double[n];
        double[] gross = new double[n];
        double[] net = new double[n];
        double[] rate = new double[n];
        for (int i = 0; i < n; i++) {
            Repeat a = repeats.get(i);
            Repeat b = referenceRepeats.get(i);
            energyRatio[i] = a.decodeJoules() / b.decodeJoules();
            speedup[i] = b.decodeSeconds() / a.decodeSeconds();
            gross[i] = b.decodeJoules() / tokens;
            net[i] = (b.decodeJoules() - b.decodeIdleJoules()) / tokens;
            rate[i] = tokens / b.decodeSeconds();
        }
        return new EnergyMeasurement.Reference(runId, new EnergyMeasurement.PerToken(mean(gross), mean(net)),
                median(rate), mean(energyRatio), mean(speedup));
    }

    private static EnergyMeasurement summary(EnergyCounter counter, String why, EnergyMeasurement.Workload workload,
            Instant start, Instant end, double waited, Baseline baseline, List<Repeat> repeats,
            EnergyMeasurement.Reference reference) {
        int n = repeats.size();
        double prefillTokens = (double) workload.batch() * workload.promptTokens();
        double decodeTokens = (double) workload.batch() * workload.decodeTokens();
        double[] prefillGross = new double[n];
        double[] prefillNet = new double[n];
        double[] decodeGross = new double[n];
        double[] decodeNet = new double[n];
        double[] ttft = new double[n];
        double[] decodeRate = new double[n];
        double joules = 0;
        double seconds = 0;
        for (int i = 0; i < n; i++) {
            Repeat r = repeats.get(i);
            prefillGross[i] = r.prefillJoules() / prefillTokens;
            prefillNet[i] = (r.prefillJoules() - r.prefillIdleJoules()) / prefillTokens;
            decodeGross[i] = r.decodeJoules() / decodeTokens;
            decodeNet[i] = (r.decodeJoules() - r.decodeIdleJoules()) / decodeTokens;
            ttft[i] = r.prefillSeconds() * 1e3;
            decodeRate[i] = decodeTokens / r.decodeSeconds();
            joules += r.prefillJoules() + r.decodeJoules();
            seconds += r.prefillSeconds() + r.decodeSeconds();
        }
        return new EnergyMeasurement(EnergySource.of(counter.source()), counter.device(), counter.basis(), why,
                workload, start, end, waited,
                new EnergyMeasurement.Baseline(baseline.seconds(), baseline.watts(), baseline.hostUtilisation()),
                joules, seconds,
                new EnergyMeasurement.PerToken(mean(prefillGross), mean(prefillNet)),
                new EnergyMeasurement.PerToken(mean(decodeGross), mean(decodeNet)),
                median(ttft), median(decodeRate), reference);
    }

    static MeanInterval mean(double[] values) {
        Intervals.Interval i = Intervals.mean(values);
        return new MeanInterval(i.center(), i.low(), i.high(), i.n(), i.confidence());
    }

    static MedianInterval median(double[] values) {
        Intervals.Interval i = Intervals.median(values);
        return new MedianInterval(i.center(), i.low(), i.high(), i.n(), i.confidence());
    }

    /** The counter's power while this process sleeps, and how busy the host was meanwhile. */
    record Baseline(double seconds, double watts, Double hostUtilisation) {
    }

    private static Baseline baseline(EnergyCounter counter, double seconds, LongSupplier clock) {
        try {
            HostCpu.Times hostBefore = hostTimes();
            long start = clock.getAsLong();
            double before = counter.joules();
            if (seconds > 0) {
                Thread.sleep(Math.round(seconds * 1000));
            }
            double after = counter.joules();
            double elapsed = (clock.getAsLong() - start) / 1e9;
            HostCpu.Times hostAfter = hostTimes();
            Double utilisation = hostBefore == null || hostAfter == null ? null
                    : HostCpu.utilisation(hostBefore, hostAfter);
            return new Baseline(elapsed, elapsed > 0 ? Math.max(0, after - before) / elapsed : 0, utilisation);
        } catch (IOException e) {
            throw new UncheckedIOException("energy: the counter failed during the idle baseline", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("energy: interrupted during the idle baseline", e);
        }
    }

    private static HostCpu.Times hostTimes() {
        try {
            return HostCpu.read(HostCpu.PROC_STAT);
        } catch (IOException | RuntimeException e) {
            return null; // not Linux: the baseline just has no utilisation figure
        }
    }

    /** Counter readings at a repeat's three edges. */
    private static final class Edges implements LatencyBenchmark.PhaseEdges {
        final double[] readings = new double[3];
        private final EnergyCounter counter;

        Edges(EnergyCounter counter) {
            this.counter = counter;
        }

        @Override
        public void prefillStarts() {
            readings[0] = read();
        }

        @Override
        public void firstTokens() {
            readings[1] = read();
        }

        @Override
        public void decodeEnds() {
            readings[2] = read();
        }

        private double read() {
            try {
                return counter.joules();
            } catch (IOException e) {
                throw new UncheckedIOException("energy: the counter failed during the workload", e);
            }
        }
    }
}
