package dev.prunelab.evaluation.energy;

import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.RuntimeOptions;
import dev.prunelab.evaluation.speed.LatencyBenchmark;
import dev.prunelab.measure.EnergyCounter;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.GpuDevice;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.measure.NvmlCounter;
import dev.prunelab.modelformat.ModelCard;
import java.io.IOException;
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
 * <p>The repeats become the figures in {@link RepeatFigures}; the idle baseline, measured or modelled, is
 * {@link IdleBaseline}; idle joules per phase are the counter's ({@link EnergyCounter#idleJoules}).
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
     * The figures (which the evaluator service publishes in model.evaluated), and every repeat (and the reference's)
     * for the report.
     *
     * @param board       the GPU board metered (NVML index, UUID, name), or null for work on the CPU
     * @param unavailable why there is no measurement (GPU work without an NVML counter, a phase too short for the
     *                    counter), or null; then {@code summary} is null and the repeats are empty
     */
    public record Result(EnergySummary summary, List<Repeat> repeats, List<Repeat> referenceRepeats,
                         GpuDevice.Board board, String unavailable) {
        public Result(EnergySummary summary, List<Repeat> repeats, List<Repeat> referenceRepeats) {
            this(summary, repeats, referenceRepeats, null, null);
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
            IdleBaseline baseline = IdleBaseline.measure(counter,
                    PhasePasses.baselineSeconds(settings.baselineSeconds(), period), clock);
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
            var workload = new EnergySummary.Workload(promptTokens, decodeTokens, batch, settings.repeats(),
                    settings.warmups());
            EnergySummary.Reference paired = reference == null ? null
                    : RepeatFigures.reference(reference.runId(), workload, repeats, referenceRepeats);
            String why = passes.note() == null ? selection.why() : selection.why() + "; " + passes.note();
            var measured = new RepeatFigures.Window(counter, why, start, end, window.waitedSeconds(), baseline);
            return new Result(RepeatFigures.summary(measured, workload, repeats, paired), List.copyOf(repeats),
                    List.copyOf(referenceRepeats), counter instanceof NvmlCounter nvml ? nvml.board() : null, null);
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
    private static Repeat repeat(DecoderSession session, EnergyCounter counter, IdleBaseline baseline, long[] prompt,
            int batch, int promptTokens, int decodeTokens, PhasePasses passes, LongSupplier clock) {
        CounterEdges edges = new CounterEdges(counter);
        double[] nanos = LatencyBenchmark.generate(session, prompt, batch, promptTokens, decodeTokens,
                passes.prefill(), passes.decode(), edges, clock);
        double prefillSeconds = nanos[0] / 1e9 / passes.prefill();
        double decodeSeconds = nanos[1] / 1e9 / passes.decode();
        double prefillJoules = edges.prefillJoules() / passes.prefill();
        double decodeJoules = edges.decodeJoules() / passes.decode();
        return new Repeat(prefillSeconds, decodeSeconds, prefillJoules, decodeJoules,
                counter.idleJoules(prefillJoules, prefillSeconds, baseline.watts()),
                counter.idleJoules(decodeJoules, decodeSeconds, baseline.watts()));
    }
}
