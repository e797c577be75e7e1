package dev.prunelab.evaluator.app;

import dev.prunelab.evaluation.energy.EnergyBenchmark;
import dev.prunelab.evaluation.energy.EnergySummary;
import dev.prunelab.evaluation.report.EvaluationReport;
import dev.prunelab.evaluation.speed.LatencyBenchmark;
import dev.prunelab.evaluation.suite.EvaluationSuite;
import dev.prunelab.evaluation.zeroshot.OnnxLoglikelihoodScorer;
import dev.prunelab.evaluation.zeroshot.ZeroShotTask;
import dev.prunelab.events.EnergyMeasurement;
import dev.prunelab.events.EnergySpec;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.events.LatencySpec;
import dev.prunelab.events.PerplexitySpec;
import dev.prunelab.events.TasksSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Maps an event's {@link EvaluationSpec} onto the suite's settings with {@code ./lab eval}'s defaults, and the
 * suite's report onto the event's {@link EvaluationMetrics} and {@link EnergyMeasurement}. Plain Java, no framework.
 */
public final class EvaluationMapper {

    /** {@code ./lab eval --warmups} default and its fixed prompt seed. */
    static final int LATENCY_WARMUPS = 1;
    static final long LATENCY_SEED = 1234;

    private EvaluationMapper() {
    }

    public static EvaluationSuite.Settings settings(Path model, EvaluationSpec spec) {
        return settings(model, spec, null);
    }

    /**
     * @param reference the energy stage's reference model as found in the store (null: none, or not there: the stage
     *                  then runs unpaired)
     */
    public static EvaluationSuite.Settings settings(Path model, EvaluationSpec spec,
                                                    EvaluationSuite.ReferenceModel reference) {
        return settings(model, spec, reference, 0);
    }

    /**
     * As {@link #settings(Path, EvaluationSpec, EvaluationSuite.ReferenceModel)}, with the service's thread count
     * ({@code prunelab.evaluator.threads}; 0 = auto) where the request names none.
     */
    public static EvaluationSuite.Settings settings(Path model, EvaluationSpec spec,
                                                    EvaluationSuite.ReferenceModel reference, int defaultThreads) {
        return settings(model, spec, reference, defaultThreads, false);
    }

    /**
     * As {@link #settings(Path, EvaluationSpec, EvaluationSuite.ReferenceModel, int)}, with ONNX Runtime's pool
     * threads spinning between operators when the service is configured so ({@code prunelab.evaluator.spinning}).
     */
    public static EvaluationSuite.Settings settings(Path model, EvaluationSpec spec,
                                                    EvaluationSuite.ReferenceModel reference, int defaultThreads,
                                                    boolean spinning) {
        PerplexitySpec p = spec.perplexity();
        EvaluationSuite.PerplexitySettings perplexity = p == null ? null
                : new EvaluationSuite.PerplexitySettings(p.text() == null ? null : Path.of(p.text()), p.protocol(),
                        p.window(), p.maxWindows());
        TasksSpec t = spec.tasks();
        EvaluationSuite.TaskSettings tasks = t == null ? null
                : new EvaluationSuite.TaskSettings(ZeroShotTask.ofIds(t.names()), t.limit(),
                        null, OnnxLoglikelihoodScorer.Strategy.AUTO);
        LatencySpec l = spec.latency();
        LatencyBenchmark.Settings latency = l == null ? null
                : new LatencyBenchmark.Settings(l.promptTokens(), l.newTokens(), l.batch(), l.repeats(),
                        LATENCY_WARMUPS, LATENCY_SEED);
        EnergySpec e = spec.energy();
        EnergyBenchmark.Settings energy = e == null ? null
                : new EnergyBenchmark.Settings(e.promptTokens(), e.decodeTokens(), e.batch(), e.repeats(), e.warmups(),
                        e.baselineSeconds(), EnergyBenchmark.Settings.SEED);
        int threads = spec.threads() == null ? defaultThreads : spec.threads();
        return new EvaluationSuite.Settings(model, spec.provider(), threads,
                perplexity, tasks, latency, energy, energy == null ? null : reference, spinning);
    }

    /** The sections that will report progress, in the order the suite runs them. */
    public static List<String> sections(EvaluationSuite.Settings settings) {
        List<String> sections = new ArrayList<>();
        if (settings.perplexity() != null) {
            sections.add("perplexity");
        }
        if (settings.tasks() != null) {
            settings.tasks().tasks().forEach(task -> sections.add(task.id()));
        }
        if (settings.latency() != null) {
            sections.add("latency");
        }
        if (settings.energy() != null) {
            sections.add("energy");
        }
        return sections;
    }

    /**
     * The headline numbers of the report; a section that did not run gives null. Speed figures are the
     * latency section's medians at batch 1, else the energy stage's (whose window was exclusive).
     */
    public static EvaluationMetrics metrics(EvaluationReport report, String resultUri) {
        Double perplexity = report.perplexity() == null ? null : report.perplexity().perplexity();
        Double meanAcc = report.zeroShot() == null ? null : report.zeroShot().meanAcc();
        LatencyBenchmark.BatchLatency batch1 = report.latency() == null ? null
                : report.latency().results().stream().filter(r -> r.batch() == 1).findFirst().orElse(null);
        EnergySummary energy = report.energy() == null ? null : report.energy().summary();
        // if/else, not nested ?: — a ?: mixing double and null unboxes null when neither section ran
        Double ttft = null;
        Double decodeRate = null;
        Double tpot = null;
        if (batch1 != null) {
            ttft = batch1.ttftMillis().median();
            decodeRate = batch1.decodeTokensPerSecond().median();
            tpot = batch1.tpotMillis().median();
        } else if (energy != null) {
            ttft = energy.ttftMillis().median();
            decodeRate = energy.decodeTokensPerSecond().median();
            tpot = energy.workload().batch() * 1e3 / energy.decodeTokensPerSecond().median();
        }
        return new EvaluationMetrics(perplexity, meanAcc, ttft, tpot, decodeRate,
                report.model() == null ? null : report.model().sizeBytes(),
                report.memory() == null ? null : report.memory().peakRssBytes(),
                resultUri);
    }

    /**
     * The power device a measurement window names: "cpu", or the GPU the session ran on, chosen once
     * ({@code prunelab.evaluator.device}): "gpu2 (GPU-…)" as the meter names the board NVML found, "gpu:GPU-…" when
     * only CUDA_VISIBLE_DEVICES named it (no NVML), else "cuda:N" (the ordinal; which board is not known).
     */
    public static String device(EvaluationReport report) {
        return report.gpu() == null ? "cpu" : report.gpu().deviceName();
    }

    /**
     * The energy stage's figures as model.evaluated carries them (the same fields); null where the stage did not run
     * or could not measure.
     */
    public static EnergyMeasurement energy(EvaluationReport report) {
        EnergySummary s = report.energy() == null ? null : report.energy().summary();
        if (s == null) {
            return null;
        }
        EnergySummary.Workload w = s.workload();
        EnergySummary.Baseline b = s.baseline();
        return new EnergyMeasurement(s.source(), s.device(), s.basis(), s.selection(),
                new EnergyMeasurement.Workload(w.promptTokens(), w.decodeTokens(), w.batch(), w.repeats(), w.warmups()),
                s.start(), s.end(), s.waitedSeconds(),
                new EnergyMeasurement.Baseline(b.seconds(), b.watts(), b.hostUtilisation(), b.basis()), s.joules(),
                s.seconds(), perToken(s.prefillJoulesPerToken()), perToken(s.decodeJoulesPerToken()), s.ttftMillis(),
                s.decodeTokensPerSecond(), reference(s.reference()));
    }

    private static EnergyMeasurement.PerToken perToken(EnergySummary.PerToken perToken) {
        return new EnergyMeasurement.PerToken(perToken.gross(), perToken.net());
    }

    private static EnergyMeasurement.Reference reference(EnergySummary.Reference r) {
        return r == null ? null : new EnergyMeasurement.Reference(r.runId(), perToken(r.decodeJoulesPerToken()),
                r.decodeTokensPerSecond(), r.decodeEnergyRatio(), r.decodeSpeedup());
    }
}
