package dev.prunelab.gateway;

import dev.prunelab.events.EnergyMeasurement;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.RunRequested;
import java.util.Optional;

/**
 * One run joined: the request, the prune report (with the pruner's energy) and the evaluation (with its energy
 * stage). A part is null until its event arrived.
 */
public record RunResult(String runId, String sweepId, RunState state, RunRequested request, RunProgress progress,
                        ModelPruned pruned, ModelEvaluated evaluated, RunFailed failure) {

    /** This run's figures for the Pareto front and the recommendation; empty until completed with a perplexity. */
    public Optional<ParetoPoint> point() {
        if (state != RunState.COMPLETED || evaluated == null || evaluated.metrics().perplexity() == null) {
            return Optional.empty();
        }
        var metrics = evaluated.metrics();
        Long size = metrics.modelSizeBytes() != null ? metrics.modelSizeBytes()
                : pruned != null ? Long.valueOf(pruned.artifact().sizeBytes()) : null;
        EnergyMeasurement energy = evaluated.energy();
        String label = request != null ? request.prune().label() : runId;
        EnergyMeasurement.Reference reference = energy == null ? null : energy.reference();
        ParetoPoint point = new ParetoPoint(runId, label, metrics.perplexity(), size,
                energy == null ? null : energy.decodeJoulesPerToken().gross(),
                energy == null ? null : energy.decodeTokensPerSecond(), metrics.peakRssBytes(),
                pruned != null && pruned.energy() != null ? pruned.energy().joules() : null,
                reference == null ? null : reference.runId(),
                reference == null ? null : reference.decodeEnergyRatio(),
                reference == null ? null : reference.decodeSpeedup(),
                energy == null ? null : energy.source());
        return Optional.of(isDense() && energy != null ? point.asReference() : point);
    }

    /** The run pruned nothing: the sweep's dense reference. */
    public boolean isDense() {
        return request != null && request.prune().isDense();
    }
}
