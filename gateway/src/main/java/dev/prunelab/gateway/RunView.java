package dev.prunelab.gateway;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.events.ArtifactRef;
import dev.prunelab.events.CalibrationSpec;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.PruneSummary;
import java.time.Instant;

/**
 * One run as the REST API shows it (and {@code ./lab sweep} reads it back): status and progress, what was asked,
 * the joined results, and its place in the sweep. A part is null until its event arrived.
 *
 * @param label       e.g. "wanda 0.5"; the run id when the request is unknown (a dead letter)
 * @param results     the headline numbers, null until any is known
 * @param energy      energy and carbon of the evaluation window (null until the run is done, and when no power
 *                    sample of the window's host ever arrived)
 * @param pareto      on the sweep's Pareto front (false outside a sweep view)
 * @param recommended the sweep's recommendation (false outside a sweep view)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunView(String runId, String sweepId, RunStatus status, Progress progress, String label,
                      Request request, Results results, PruneSummary pruneSummary, ArtifactRef artifact,
                      EvaluationMetrics metrics, MeasurementWindow window, EnergyIntegrator.Energy energy,
                      Failure failure, boolean pareto, boolean recommended) {

    /** The latest {@code run.progress} of the run. */
    public record Progress(String stage, double fraction, String message, Instant at) {
    }

    /** The run's configuration, as requested. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Request(ModelRef model, PruneSpec prune, CalibrationSpec calibration, EvaluationSpec evaluation,
                          Instant requestedAt) {
    }

    /**
     * @param sizeBytes       the evaluated model's files (model.onnx + data), else the artifact's size
     * @param parameterCount  parameters of the exported model (structured pruning lowers it)
     * @param tokensPerSecond median decode tokens/s at batch 1 (only when latency was measured)
     * @param latencyMillis   median time per output token at batch 1
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Results(Double perplexity, Double achievedSparsity, Long sizeBytes, Long parameterCount,
                          Long nonZeroParameterCount, Double tokensPerSecond, Double latencyMillis,
                          Double meanAcc, Double energyJoules, Double carbonGrams, Boolean energyEstimated) {
    }

    public record Failure(String stage, String reason) {
    }

    public static RunView of(RunResult run, boolean pareto, boolean recommended) {
        Progress progress = run.progress() == null ? null : new Progress(run.progress().stage(),
                run.progress().fraction(), run.progress().message(), run.progress().occurredAt());
        Request request = run.request() == null ? null : new Request(run.request().model(), run.request().prune(),
                run.request().calibration(), run.request().evaluation(), run.request().occurredAt());
        String label = run.request() != null ? run.request().prune().label() : run.runId();
        Failure failure = run.failure() == null ? null : new Failure(run.failure().stage(), run.failure().reason());
        return new RunView(run.runId(), run.sweepId(), RunStatus.of(run), progress, label, request, results(run),
                run.pruned() == null ? null : run.pruned().report(),
                run.pruned() == null ? null : run.pruned().artifact(),
                run.evaluated() == null ? null : run.evaluated().metrics(),
                run.evaluated() == null ? null : run.evaluated().window(),
                run.energy(), failure, pareto, recommended);
    }

    private static Results results(RunResult run) {
        PruneSummary summary = run.pruned() == null ? null : run.pruned().report();
        EvaluationMetrics metrics = run.evaluated() == null ? null : run.evaluated().metrics();
        if (summary == null && metrics == null) {
            return null;
        }
        Long size = metrics != null && metrics.modelSizeBytes() != null ? metrics.modelSizeBytes()
                : run.pruned() != null ? Long.valueOf(run.pruned().artifact().sizeBytes()) : null;
        var energy = run.energy() != null && run.energy().coveredSeconds() > 0 ? run.energy() : null;
        return new Results(metrics == null ? null : metrics.perplexity(),
                summary == null ? null : summary.achievedSparsity(), size,
                summary == null ? null : summary.parameterCount(),
                summary == null ? null : summary.nonZeroParameterCount(),
                metrics == null ? null : metrics.decodeTokensPerSecond(),
                metrics == null ? null : metrics.tpotMillis(),
                metrics == null ? null : metrics.meanAcc(),
                energy == null ? null : energy.joules(),
                energy == null ? null : energy.carbonGrams(),
                energy == null ? null : energy.estimated());
    }

    /** Marks this run's place in its sweep. */
    public RunView placed(boolean onFront, boolean isRecommended) {
        return new RunView(runId, sweepId, status, progress, label, request, results, pruneSummary, artifact, metrics,
                window, energy, failure, onFront, isRecommended);
    }
}
