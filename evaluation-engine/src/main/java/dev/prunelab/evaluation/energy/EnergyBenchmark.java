package dev.prunelab.evaluation.energy;

import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.RuntimeOptions;
import dev.prunelab.evaluation.speed.LatencyBenchmark;
import dev.prunelab.events.EnergyMeasurement;
import dev.prunelab.events.MeanInterval;
import dev.prunelab.events.MedianInterval;
import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.measure.EnergyCounter;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.GpuDevice;
import dev.prunelab.measure.HostCpu;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.measure.Intervals;
import dev.prunelab.measure.NvmlCounter;
import dev.prunelab.measure.PowerModel;
import dev.prunelab.measure.ProcessCpuEstimate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
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
 * <p>A counter that moves in steps (NVML's, every few tens of milliseconds; measured when it opens) would read a
 * phase of a few milliseconds as 0 J or one whole step: each phase then runs k times back to back between its two
 * reads, k sized so the window spans {@link PhasePasses#WINDOW_PERIODS} periods, and its joules and seconds are
 * divided by k ({@link PhasePasses}; the selection line says so). GPU work without its board's counter is not
 * measured: the result says why, and there is no CPU figure in its place.
 *
 * <p>With a reference model (the sweep's dense run) both models run in the same window, their repeats
 * alternating A B B A A B ...: each pair is measured seconds apart, so the ratio of the pair (J/token, tokens/s)
 * cancels whatever the machine's speed does between windows (the same session measured minutes apart on this
 * 2-core VM moved by 10%). The ratios are geometric means over the pairs with t intervals on the log scale.
 *
 * Per repeat: prefill J/token = Δprefill / (B·P), decode J/token = Δdecode / (B·N), gross and net of idle
 * ({@link EnergyCounter#idleJoules}); TTFT = prefill + first tokens; decode tokens/s = B·N / decode seconds.
 * Gross energy figures and ratios cannot be negative: geometric means with Student's t 95% intervals of the logs
 * ({@link #positive}); net figures (which may be 0 or below) arithmetic means with linear t intervals; speed figures
 * medians with order-statistic intervals.
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

    /**
     * The summary that travels in model.evaluated, and every repeat (and the reference's) for the report.
     *
     * @param board       the GPU board metered (NVML index, UUID, name), or null for work on the CPU
     * @param unavailable why there is no measurement (GPU work without an NVML counter, a phase too short for the
     *                    counter), or null; then {@code measurement} is null and the repeats are empty
     */
    public record Result(EnergyMeasurement measurement, List<Repeat> repeats, List<Repeat> referenceRepeats,
                         GpuDevice.Board board, String unavailable) {
        public Result(EnergyMeasurement measurement, List<Repeat> repeats, List<Repeat> referenceRepeats) {
            this(measurement, repeats, referenceRepeats, null, null);
        }

        static Result unavailable(String why) {
            return new Result(null, List.of(), List.of(), null, why);
        }
    }

    /** A model measured in the window as the reference of the one evaluated. */
    public record Reference(String runId, DecoderSession session) {
    }

    /**
     * Where the stage measures: the counter chosen for this work, the host's lock, and the monotonic clock in
     * nanoseconds that times the phases and the baseline (and the latency section's runs); and the GPU this process
     * works on, chosen once: its CUDA ordinal is the one sessions run on, and the meter reads the same board
     * ({@link GpuDevice}), created through {@code sessions} (a seam: tests stand in for a GPU).
     */
    public record Environment(EnergyCounters counters, HostWorkLock lock, LongSupplier monotonicNanos, GpuDevice gpu,
                              RuntimeOptions.SessionFactory sessions) {
        /** One instance, so that two default environments compare equal. */
        private static final LongSupplier SYSTEM_NANOS = System::nanoTime;
        /** CUDA device 0 under this process's CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER. */
        private static final GpuDevice FIRST_GPU = GpuDevice.of(0);

        public Environment {
            if (monotonicNanos == null) {
                monotonicNanos = SYSTEM_NANOS;
            }
            if (gpu == null) {
                gpu = FIRST_GPU;
            }
            if (sessions == null) {
                sessions = RuntimeOptions.SessionFactory.ONNX_RUNTIME;
            }
        }

        /** On CUDA device 0, sessions created by ONNX Runtime. */
        public Environment(EnergyCounters counters, HostWorkLock lock, LongSupplier monotonicNanos) {
            this(counters, lock, monotonicNanos, FIRST_GPU, RuntimeOptions.SessionFactory.ONNX_RUNTIME);
        }

        /** Timed with {@link System#nanoTime()}. */
        public Environment(EnergyCounters counters, HostWorkLock lock) {
            this(counters, lock, SYSTEM_NANOS);
        }

        /** The same environment working on {@code gpu}. */
        public Environment withGpu(GpuDevice gpu) {
            return new Environment(counters, lock, monotonicNanos, gpu, sessions);
        }

        /** The same environment creating sessions through {@code factory}. */
        public Environment withSessions(RuntimeOptions.SessionFactory factory) {
            return new Environment(counters, lock, monotonicNanos, gpu, factory);
        }

        /** {@code options} on this environment's GPU, sessions created its way. */
        public RuntimeOptions runtime(RuntimeOptions options) {
            return options.onCudaDevice(gpu.cudaOrdinal()).withSessions(sessions);
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
        GpuDevice gpu = meteredGpu(session, reference, environment);
        EnergyCounters.Selection selection;
        try {
            selection = environment.counters().select(gpu);
        } catch (IOException e) {
            throw new IllegalStateException("energy: " + e.getMessage(), e);
        }
        if (!selection.available()) {
            return Result.unavailable(selection.why());   // GPU work without its counter: no CPU figure instead
        }
        LongSupplier clock = environment.monotonicNanos();
        try (EnergyCounter counter = selection.counter();
             HostWorkLock.Hold window = environment.lock().measurementWindow()) {
            double period = counter.updatePeriodSeconds();
            Baseline baseline = baseline(counter, PhasePasses.baselineSeconds(settings.baselineSeconds(), period), clock);
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
            PhasePasses passes;
            try {
                passes = passes(session, reference, prompt, batch, promptTokens, decodeTokens, period, clock);
            } catch (PhasePasses.Refused e) {
                return Result.unavailable(selection.why() + "; " + e.getMessage());
            }
            Instant start = Instant.now();
            List<Repeat> repeats = new ArrayList<>();
            List<Repeat> referenceRepeats = new ArrayList<>();
            for (int r = 0; r < settings.repeats(); r++) {
                // A B, B A, A B, ...: neither model always goes first, so a trend within the window cancels too.
                boolean referenceFirst = reference != null && r % 2 == 1;
                if (referenceFirst) {
                    referenceRepeats.add(repeat(reference.session(), counter, baseline, prompt, batch, promptTokens,
                            decodeTokens, passes, clock));
                }
                repeats.add(repeat(session, counter, baseline, prompt, batch, promptTokens, decodeTokens, passes,
                        clock));
                if (reference != null && !referenceFirst) {
                    referenceRepeats.add(repeat(reference.session(), counter, baseline, prompt, batch, promptTokens,
                            decodeTokens, passes, clock));
                }
                progress.accept(++done);
            }
            Instant end = Instant.now();
            var workload = new EnergyMeasurement.Workload(promptTokens, decodeTokens, batch, settings.repeats(),
                    settings.warmups());
            EnergyMeasurement.Reference paired = reference == null ? null
                    : reference(reference.runId(), workload, repeats, referenceRepeats);
            String why = passes.note() == null ? selection.why() : selection.why() + "; " + passes.note();
            return new Result(summary(counter, why, workload, start, end, window.waitedSeconds(),
                    baseline, repeats, paired), List.copyOf(repeats), List.copyOf(referenceRepeats),
                    counter instanceof NvmlCounter nvml ? nvml.board() : null, null);
        }
    }

    /**
     * The GPU whose board is metered: the environment's, which the session must run on (one ordinal for both), or
     * null for work on the CPU. A reference must run where the model does, or the pairs compare two devices.
     */
    private static GpuDevice meteredGpu(DecoderSession session, Reference reference, Environment environment) {
        if (reference != null && reference.session().cudaDevice() != session.cudaDevice()) {
            throw new IllegalArgumentException("energy reference " + reference.runId() + " runs on "
                    + reference.session().providerUsed() + ", this model on " + session.providerUsed()
                    + ": a pair must share its device");
        }
        if (session.cudaDevice() < 0) {
            return null;
        }
        if (session.cudaDevice() != environment.gpu().cudaOrdinal()) {
            throw new IllegalStateException("energy: the session runs on CUDA device " + session.cudaDevice()
                    + ", the meter is set for CUDA device " + environment.gpu().cudaOrdinal());
        }
        return environment.gpu();
    }

    /**
     * The passes per phase that make each window span a few of the counter's update periods (none needed for a
     * counter that changes continuously): sized on one unrecorded generation of each model, after the warm-ups.
     */
    private static PhasePasses passes(DecoderSession session, Reference reference, long[] prompt, int batch,
            int promptTokens, int decodeTokens, double period, LongSupplier clock) {
        if (!(period > 0)) {
            return PhasePasses.ONE;
        }
        double[] nanos = LatencyBenchmark.generate(session, prompt, batch, promptTokens, decodeTokens,
                LatencyBenchmark.PhaseEdges.NONE, clock);
        if (reference != null) {
            double[] other = LatencyBenchmark.generate(reference.session(), prompt, batch, promptTokens, decodeTokens,
                    LatencyBenchmark.PhaseEdges.NONE, clock);
            nanos = new double[] {Math.min(nanos[0], other[0]), Math.min(nanos[1], other[1])};
        }
        return PhasePasses.covering(period, nanos[0] / 1e9, nanos[1] / 1e9);
    }

    /** One timed, metered generation, each phase over its passes; seconds and joules per pass. */
    private static Repeat repeat(DecoderSession session, EnergyCounter counter, Baseline baseline, long[] prompt,
            int batch, int promptTokens, int decodeTokens, PhasePasses passes, LongSupplier clock) {
        Edges edges = new Edges(counter);
        double[] nanos = LatencyBenchmark.generate(session, prompt, batch, promptTokens, decodeTokens,
                passes.prefill(), passes.decode(), edges, clock);
        double prefillSeconds = nanos[0] / 1e9 / passes.prefill();
        double decodeSeconds = nanos[1] / 1e9 / passes.decode();
        double prefillJoules = (edges.readings[1] - edges.readings[0]) / passes.prefill();
        double decodeJoules = (edges.readings[2] - edges.readings[1]) / passes.decode();
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
        return new EnergyMeasurement.Reference(runId, new EnergyMeasurement.PerToken(positive(gross), mean(net)),
                median(rate), positive(energyRatio), positive(speedup));
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
                workload, start, end, waited, reportedBaseline(counter, baseline, repeats), joules, seconds,
                new EnergyMeasurement.PerToken(positive(prefillGross), mean(prefillNet)),
                new EnergyMeasurement.PerToken(positive(decodeGross), mean(decodeNet)),
                median(ttft), median(decodeRate), reference);
    }

    /**
     * The idle power the net figures subtract, as reported. A host or device counter measured it over the sleep. The
     * estimate charges this process alone, so the sleeping process's own CPU time (its JIT and GC) is no baseline:
     * its idle share is the power model's idle watts per core x the cores it charged over the repeats (CPU-seconds
     * per second), which is exactly what {@link EnergyCounter#idleJoules} subtracted from each phase.
     */
    static EnergyMeasurement.Baseline reportedBaseline(EnergyCounter counter, Baseline slept, List<Repeat> repeats) {
        if (counter.scope() != EnergyCounter.Scope.PROCESS) {
            return new EnergyMeasurement.Baseline(slept.seconds(), slept.watts(), slept.hostUtilisation(),
                    String.format(Locale.ROOT, "measured: the %s counter's mean power over %.1f s with this process "
                            + "asleep", counter.source(), slept.seconds()));
        }
        double idleJoules = 0;
        double seconds = 0;
        for (Repeat r : repeats) {
            idleJoules += r.prefillIdleJoules() + r.decodeIdleJoules();
            seconds += r.prefillSeconds() + r.decodeSeconds();
        }
        double watts = seconds > 0 ? idleJoules / seconds : 0;
        String basis;
        if (counter instanceof ProcessCpuEstimate estimate) {
            PowerModel model = estimate.model();
            basis = String.format(Locale.ROOT, "not measured: the estimate's idle share, %.2f W per core x %.2f cores "
                    + "charged (this process's CPU-seconds per second of the repeats); net = gross x (1 - %.2f / %.2f)",
                    model.idleWattsPerCore(), watts / model.idleWattsPerCore(), model.idleWattsPerCore(),
                    model.fullWattsPerCore());
        } else {
            basis = "not measured: the " + counter.source() + " model's idle share of the repeats' joules per second";
        }
        return new EnergyMeasurement.Baseline(slept.seconds(), watts, slept.hostUtilisation(), basis);
    }

    static MeanInterval mean(double[] values) {
        Intervals.Interval i = Intervals.mean(values);
        return new MeanInterval(i.center(), i.low(), i.high(), i.n(), i.confidence());
    }

    /**
     * A quantity that cannot be negative (gross J/token, a ratio of two): the geometric mean with the t interval of
     * the logs, back-transformed ({@link Intervals#logMean}), so the low end stays positive at any n. A repeat that
     * read 0 J (a counter that had not ticked) rules the log out: then the linear interval, its low end raised to 0
     * and marked {@link MeanInterval.Scale#CLAMPED}.
     */
    static MeanInterval positive(double[] values) {
        if (Arrays.stream(values).allMatch(v -> v > 0)) {
            Intervals.Interval i = Intervals.logMean(values);
            return new MeanInterval(i.center(), i.low(), i.high(), i.n(), i.confidence(), MeanInterval.Scale.LOG);
        }
        Intervals.Interval i = Intervals.mean(values);
        return new MeanInterval(i.center(), Math.max(0, i.low()), i.high(), i.n(), i.confidence(),
                MeanInterval.Scale.CLAMPED);
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
