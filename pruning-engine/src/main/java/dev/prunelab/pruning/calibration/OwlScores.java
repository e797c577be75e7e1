package dev.prunelab.pruning.calibration;

import dev.prunelab.pruning.family.FamilyGraphs.Tap;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.graph.Matrices;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.prune.InputStatistics;
import dev.prunelab.pruning.prune.OwlAllocation;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * OWL's layer outlier ratios (Yin et al. 2023) from one dense calibration pass, for either pruner's per-layer
 * allocation ({@link OwlAllocation#allocate}): block l's ratio is the share of its Wanda scores |W_ij|·‖X_j‖
 * above M times their mean, over all of its linear modules.
 */
public final class OwlScores {
    private OwlScores() {
    }

    /** @param afterLayer told the number of blocks scored so far, after each */
    public static double[] layerOutlierRatios(DecoderConfig config, TensorSource weights, BlockCalibration calibration,
            List<int[]> windows, IntConsumer afterLayer) {
        FamilyGraphs family = ModelFamilies.of(config).graphs(config);
        List<float[]> hidden = calibration.embed(weights, windows);
        double[] ratios = new double[config.numLayers()];
        for (int layer = 0; layer < config.numLayers(); layer++) {
            int current = layer;
            Map<Tap, InputStatistics> stats = calibration.collect(weights, layer, hidden, false, true);
            ratios[layer] = calibration.timer().time("pruning_math",
                    () -> layerOutlierRatio(family, weights, current, stats));
            afterLayer.accept(layer + 1);
        }
        return ratios;
    }

    private static double layerOutlierRatio(FamilyGraphs family, TensorSource weights, int layer,
            Map<Tap, InputStatistics> stats) {
        double outliers = 0;
        long total = 0;
        for (Map.Entry<String, Tap> linear : family.linearInputs(layer).entrySet()) {
            TensorInfo info = weights.info(linear.getKey() + ".weight");
            float[] weight = weights.readFloats(info.name());
            int rows = (int) info.dimension(0);
            int cols = (int) info.dimension(1);
            if (family.weightsStoredInputMajor()) {
                weight = Matrices.transpose(weight, rows, cols);
                int swap = rows;
                rows = cols;
                cols = swap;
            }
            double ratio = OwlAllocation.outlierRatio(weight, rows, cols,
                    stats.get(linear.getValue()).columnNorms(), OwlAllocation.DEFAULT_THRESHOLD_M);
            outliers += ratio * weight.length;
            total += weight.length;
        }
        return outliers / total;
    }
}
