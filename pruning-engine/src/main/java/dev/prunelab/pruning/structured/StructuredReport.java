package dev.prunelab.pruning.structured;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.pruning.calibration.CalibrationSummary;
import dev.prunelab.pruning.run.RunReport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code prune-report.json} of a structured run (schema "structured-1"): what was asked, what each layer kept,
 * and what that costs before and after. FLOPs per token are defined in {@link ModelCost}.
 *
 * @param requestedRatio  the fraction of each targeted structure asked to be removed
 * @param droppedLayers   source indices of the blocks removed (block dropping), ascending
 * @param layerScores     the score of each block (block influence) or null
 * @param layerRatios     the ratio each layer was pruned to under OWL allocation or the search, or null
 * @param modelBytes      bytes of the exported directory's model files (model.onnx and external data)
 * @param threads         ONNX Runtime intra-op threads and Java pool workers the run computed with (the request's
 *                        count, or what auto chose from the cores idle when it started)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StructuredReport(
        String schema,
        String source,
        String family,
        String method,
        String target,
        String score,
        String allocation,
        double requestedRatio,
        boolean biasCompensation,
        int flopsContextTokens,
        long parametersBefore,
        long parametersAfter,
        double parameterReduction,
        long flopsPerTokenBefore,
        long flopsPerTokenAfter,
        double flopsReduction,
        List<Integer> droppedLayers,
        double[] layerScores,
        double[] layerRatios,
        List<ModelCost.LayerCost> layersBefore,
        List<ModelCost.LayerCost> layersAfter,
        CalibrationSummary calibration,
        long modelBytes,
        Map<String, Double> secondsPerStage,
        int threads,
        Long peakRssBytes,
        String output) implements RunReport {

    public static final String SCHEMA = "structured-1";

    /** Structured pruning removes units rather than zeroing weights: no sparsity. */
    @Override
    public Sparsity sparsity() {
        return null;
    }

    /** Each source layer's parameters removed, and the heads and MLP channels it kept (a dropped block: all). */
    @Override
    public List<LayerRemoval> layerRemovals() {
        Map<Integer, ModelCost.LayerCost> keptBySource = new HashMap<>();
        for (ModelCost.LayerCost kept : layersAfter) {
            keptBySource.put(kept.sourceLayer(), kept);
        }
        List<LayerRemoval> layers = new ArrayList<>();
        for (ModelCost.LayerCost before : layersBefore) {
            ModelCost.LayerCost kept = keptBySource.get(before.layer());
            double parameters = before.parameters();
            double removed = kept == null ? 1 : parameters <= 0 ? 0
                    : Math.min(1, Math.max(0, 1 - kept.parameters() / parameters));
            layers.add(new LayerRemoval(before.layer(), removed, kept == null ? 0 : kept.queryHeads(),
                    kept == null ? 0 : kept.mlpWidth()));
        }
        return layers;
    }
}
