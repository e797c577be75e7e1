package dev.prunelab.gateway;

import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.RunRequested;
import java.util.Optional;

/**
 * One run joined: the request, the prune report, the evaluation and its energy. A part is null until its event
 * arrived ({@code energy} stays null when no power sample of the window's host and device ever arrived).
 */
public record RunResult(String runId, String sweepId, RunState state, RunRequested request, RunProgress progress,
                        ModelPruned pruned, ModelEvaluated evaluated, EnergyIntegrator.Energy energy,
                        RunFailed failure) {

    /**
     * This run on the Pareto axes: perplexity, model size (the evaluated model.onnx + data, else the artifact),
     * latency (time per output token at batch 1) and energy of the evaluation window. Empty until completed
     * with a perplexity.
     */
    public Optional<ParetoPoint> point() {
        if (state != RunState.COMPLETED || evaluated == null || evaluated.metrics().perplexity() == null) {
            return Optional.empty();
        }
        var metrics = evaluated.metrics();
        Long size = metrics.modelSizeBytes() != null ? metrics.modelSizeBytes()
                : pruned != null ? Long.valueOf(pruned.artifact().sizeBytes()) : null;
        Double joules = energy != null && energy.coveredSeconds() > 0 ? energy.joules() : null;
        String label = request != null ? request.prune().label() : runId;
        return Optional.of(new ParetoPoint(runId, label, metrics.perplexity(), size, metrics.tpotMillis(), joules));
    }
}
