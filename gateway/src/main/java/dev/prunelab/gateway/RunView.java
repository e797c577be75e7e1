package dev.prunelab.gateway;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.events.ArtifactRef;
import dev.prunelab.events.CalibrationSpec;
import dev.prunelab.events.EnergyMeasurement;
import dev.prunelab.events.EnergyUse;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.PruneSummary;
import dev.prunelab.measure.MeanInterval;
import dev.prunelab.measure.MedianInterval;
import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.vocabulary.RunStage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One run as the REST API shows it (and {@code ./lab sweep} reads it back): status and progress, what was asked,
 * the joined results, and its place in the sweep. A part is null until its event arrived.
 *
 * @param label       e.g. "wanda 0.5", "dense"; the run id when the request is unknown (a dead letter)
 * @param results     the headline numbers, null until any is known
 * @param energy      the evaluator's energy stage as measured (window, baseline, source, intervals)
 * @param prunedAt    when the pruner published the model (its window ended then)
 * @param pruneEnergy the pruner's own energy for this run
 * @param versusDense speed-up, energy ratio and break-even against the sweep's dense run (paired or not, per run)
 * @param pareto      on the sweep's Pareto front (false outside a sweep view)
 * @param recommended the sweep's recommendation (false outside a sweep view)
 * @param notes       why a figure of this run is missing (e.g. no ratio to a dense figure that is not positive);
 *                    the rest of the run, and of the sweep, is shown
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunView(String runId, String sweepId, RunStatus status, Progress progress, String label,
                      Request request, Results results, PruneSummary pruneSummary, ArtifactRef artifact,
                      EvaluationMetrics metrics, MeasurementWindow window, EnergyMeasurement energy,
                      Instant prunedAt, EnergyUse pruneEnergy, VersusDense versusDense, Failure failure,
                      boolean pareto, boolean recommended,
                      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> notes) {

    /** The latest {@code run.progress} of the run. */
    public record Progress(RunStage stage, double fraction, String message, Instant at) {
    }

    /** The run's configuration, as requested. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Request(ModelRef model, PruneSpec prune, CalibrationSpec calibration, EvaluationSpec evaluation,
                          Instant requestedAt) {
    }

    /**
     * @param sizeBytes              the evaluated model's files (model.onnx + data), else the artifact's size
     * @param parameterCount         parameters of the exported model (structured pruning lowers it)
     * @param tokensPerSecond        median decode tokens/s (latency section at batch 1, else the energy stage)
     * @param latencyMillis          median time per output token, same source
     * @param decodeTokensPerSecond  the energy stage's median decode tokens/s with its 95% interval
     * @param ttftMillis             the energy stage's median time to first token with its interval
     * @param decodeJoulesPerToken   gross decode J/token with its 95% interval (scale log: geometric mean), absolute:
     *                               measured in this run's own window ({@code energyWindowStart}), so compare runs
     *                               through {@code decodeEnergyRatio}
     * @param decodeJoulesPerTokenNet net of the idle baseline (linear: it may be 0 or below)
     * @param prefillJoulesPerToken  gross prefill J/token
     * @param energyJoules           gross joules of the energy stage's recorded repeats
     * @param pruneJoules            the pruner's joules for this run
     * @param carbonGrams            (prune + energy stage) kWh x PUE x intensity
     * @param energySource           the energy stage's source: nvml | rapl | estimate
     * @param energyEstimated        any of the run's joules (stage or pruner), so its carbon, come from a model, not
     *                               a counter
     * @param decodeSpeedup          against the dense run, with its interval and verdict
     * @param decodeEnergyRatio      decode J/token over the dense run's, likewise (paired or not: see versusDense)
     * @param pruneEnergySource      the pruner's energy's source
     * @param energyWindowStart      when the window of this run's absolute energy and speed figures began
     * @param breakEvenTokens        generated tokens after which pruning paid for itself (null: never)
     * @param peakRssBytes           the evaluator's peak resident memory for this run
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Results(Double perplexity, Double achievedSparsity, Long sizeBytes, Long parameterCount,
                          Long nonZeroParameterCount, Double tokensPerSecond, Double latencyMillis,
                          Double meanAcc, MedianInterval decodeTokensPerSecond, MedianInterval ttftMillis,
                          MeanInterval decodeJoulesPerToken, MeanInterval decodeJoulesPerTokenNet,
                          MeanInterval prefillJoulesPerToken, Double energyJoules, Double pruneJoules,
                          Double carbonGrams, EnergySource energySource, Boolean energyEstimated,
                          Ratio decodeSpeedup, Double breakEvenTokens, Long peakRssBytes, Ratio decodeEnergyRatio,
                          EnergySource pruneEnergySource, Instant energyWindowStart) {
    }

    public record Failure(RunStage stage, String reason) {
    }

    /** A run outside a sweep view: no place on a front, no comparison. */
    public static RunView of(RunResult run, Carbon carbon) {
        return of(run, false, false, null, carbon);
    }

    /**
     * @param dense the sweep's dense run's point, or null
     * @param notes what is already known to be missing for this run (more are added here)
     */
    public static RunView of(RunResult run, boolean pareto, boolean recommended, ParetoPoint dense, Carbon carbon,
                             List<String> notes) {
        List<String> missing = new ArrayList<>(notes);
        Progress progress = run.progress() == null ? null : new Progress(run.progress().stage(),
                run.progress().fraction(), run.progress().message(), run.progress().occurredAt());
        Request request = run.request() == null ? null : new Request(run.request().model(), run.request().prune(),
                run.request().calibration(), run.request().evaluation(), run.request().occurredAt());
        String label = run.request() != null ? run.request().prune().label() : run.runId();
        Failure failure = run.failure() == null ? null : new Failure(run.failure().stage(), run.failure().reason());
        VersusDense versus = null;
        try {
            versus = run.point().map(p -> VersusDense.of(p, dense)).orElse(null);
        } catch (RuntimeException e) {
            missing.add("no comparison with dense: " + e.getMessage());
        }
        if (versus != null && versus.note() != null) {
            missing.add(versus.note());
        }
        Results results = null;
        try {
            results = results(run, versus, carbon);
        } catch (RuntimeException e) {
            missing.add("no results: " + e.getMessage());
        }
        return new RunView(run.runId(), run.sweepId(), RunStatus.of(run), progress, label, request, results,
                run.pruned() == null ? null : run.pruned().report(),
                run.pruned() == null ? null : run.pruned().artifact(),
                run.evaluated() == null ? null : run.evaluated().metrics(),
                run.evaluated() == null ? null : run.evaluated().window(),
                run.evaluated() == null ? null : run.evaluated().energy(),
                run.pruned() == null ? null : run.pruned().occurredAt(),
                run.pruned() == null ? null : run.pruned().energy(),
                versus, failure, pareto, recommended, List.copyOf(missing));
    }

    /** @param dense the sweep's dense run's point, or null */
    public static RunView of(RunResult run, boolean pareto, boolean recommended, ParetoPoint dense, Carbon carbon) {
        return of(run, pareto, recommended, dense, carbon, List.of());
    }

    private static Results results(RunResult run, VersusDense versus, Carbon carbon) {
        PruneSummary summary = run.pruned() == null ? null : run.pruned().report();
        EvaluationMetrics metrics = run.evaluated() == null ? null : run.evaluated().metrics();
        if (summary == null && metrics == null) {
            return null;
        }
        Long size = metrics != null && metrics.modelSizeBytes() != null ? metrics.modelSizeBytes()
                : run.pruned() != null ? Long.valueOf(run.pruned().artifact().sizeBytes()) : null;
        EnergyMeasurement energy = run.evaluated() == null ? null : run.evaluated().energy();
        EnergyUse pruneEnergy = run.pruned() == null ? null : run.pruned().energy();
        Double carbonGrams = energy == null && pruneEnergy == null ? null
                : carbon.grams((energy == null ? 0 : energy.joules()) + (pruneEnergy == null ? 0 : pruneEnergy.joules()));
        boolean estimated = (energy != null && energy.source() == EnergySource.ESTIMATE)
                || (pruneEnergy != null && pruneEnergy.source() == EnergySource.ESTIMATE);
        return new Results(metrics == null ? null : metrics.perplexity(),
                summary == null ? null : summary.achievedSparsity(), size,
                summary == null ? null : summary.parameterCount(),
                summary == null ? null : summary.nonZeroParameterCount(),
                metrics == null ? null : metrics.decodeTokensPerSecond(),
                metrics == null ? null : metrics.tpotMillis(),
                metrics == null ? null : metrics.meanAcc(),
                energy == null ? null : energy.decodeTokensPerSecond(),
                energy == null ? null : energy.ttftMillis(),
                energy == null ? null : energy.decodeJoulesPerToken().gross(),
                energy == null ? null : energy.decodeJoulesPerToken().net(),
                energy == null ? null : energy.prefillJoulesPerToken().gross(),
                energy == null ? null : energy.joules(),
                pruneEnergy == null ? null : pruneEnergy.joules(),
                carbonGrams,
                energy == null ? null : energy.source(),
                energy == null && pruneEnergy == null ? null : estimated,
                versus == null ? null : versus.decodeSpeedup(),
                versus == null ? null : versus.breakEvenTokens(),
                metrics == null ? null : metrics.peakRssBytes(),
                versus == null ? null : versus.decodeEnergyRatio(),
                pruneEnergy == null ? null : pruneEnergy.source(),
                energy == null ? null : energy.start());
    }
}
