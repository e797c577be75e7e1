package dev.prunelab.pruning.structured;

import dev.prunelab.pruning.export.CalibrationGraphs;
import dev.prunelab.pruning.export.FamilyGraphs;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.pipeline.EmbeddingRows;
import dev.prunelab.pruning.pipeline.GraphSession;
import dev.prunelab.pruning.prune.InputStatistics;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Calibration forward passes through the pipeline's ONNX Runtime block graphs (the same family code as the
 * export): embed the windows, run one block at a time, accumulate the taps' statistics or compare a block's
 * input and output. Seconds are added to {@code calibration_forward} and {@code statistics}.
 */
final class Calibrator {
    private final DecoderConfig config;
    private final int window;
    private final int width;
    private final int threads;
    private final Map<String, Double> seconds;

    Calibrator(DecoderConfig config, int window, int threads, Map<String, Double> seconds) {
        this.config = config;
        this.window = window;
        this.width = CalibrationGraphs.hiddenWidth(config);
        this.threads = threads;
        this.seconds = seconds;
    }

    /** Hidden states [window, width] of every window after the embedding. */
    List<float[]> embed(TensorSource weights, List<int[]> windows) {
        return time("calibration_forward", () -> {
            EmbeddingRows rows = new EmbeddingRows(weights, FamilyGraphs.of(config).embeddingName(), windows);
            List<float[]> hidden = new ArrayList<>(windows.size());
            try (GraphSession session = new GraphSession(CalibrationGraphs.embedding(config, rows), threads, -1, 0,
                    config.headDim())) {
                for (int[] tokens : windows) {
                    hidden.add(session.runTokens(rows.reindex(tokens), Set.of(CalibrationGraphs.HIDDEN_OUTPUT))
                            .get(CalibrationGraphs.HIDDEN_OUTPUT));
                }
            }
            return hidden;
        });
    }

    /**
     * Statistics of every tap of block {@code layer} over the windows; with {@code advance} the hidden states
     * are replaced by the block's outputs in place.
     */
    Map<FamilyGraphs.Tap, InputStatistics> collect(TensorSource weights, int layer, List<float[]> hidden,
            boolean advance) {
        Map<FamilyGraphs.Tap, InputStatistics> stats = new EnumMap<>(FamilyGraphs.Tap.class);
        Set<String> outputs = new HashSet<>();
        for (FamilyGraphs.Tap tap : FamilyGraphs.Tap.values()) {
            outputs.add(tap.outputName());
        }
        if (advance) {
            outputs.add(CalibrationGraphs.HIDDEN_OUTPUT);
        }
        try (GraphSession session = time("calibration_forward", () -> session(weights, layer))) {
            for (int i = 0; i < hidden.size(); i++) {
                float[] input = hidden.get(i);
                Map<String, float[]> values = time("calibration_forward",
                        () -> session.runHidden(input, window, width, outputs));
                time("statistics", () -> {
                    for (FamilyGraphs.Tap tap : FamilyGraphs.Tap.values()) {
                        float[] x = values.get(tap.outputName());
                        int in = x.length / window;
                        stats.computeIfAbsent(tap, t -> new InputStatistics(in, false)).accept(x, window, in);
                    }
                    return null;
                });
                if (advance) {
                    hidden.set(i, values.get(CalibrationGraphs.HIDDEN_OUTPUT));
                }
            }
        }
        return stats;
    }

    /** Block {@code layer}'s outputs for every window. */
    List<float[]> forward(TensorSource weights, int layer, List<float[]> hidden) {
        return time("calibration_forward", () -> {
            List<float[]> next = new ArrayList<>(hidden.size());
            try (GraphSession session = session(weights, layer)) {
                for (float[] x : hidden) {
                    next.add(session.runHidden(x, window, width, Set.of(CalibrationGraphs.HIDDEN_OUTPUT))
                            .get(CalibrationGraphs.HIDDEN_OUTPUT));
                }
            }
            return next;
        });
    }

    /**
     * ShortGPT's block influence (Men et al. 2024, Eq. 2): BI_l = 1 − E_t[cos(x_l,t, x_{l+1},t)] over every
     * calibration token t, on the dense model; a block that barely turns its input is the cheapest to drop.
     */
    double[] blockInfluence(TensorSource weights, List<float[]> hidden) {
        double[] influence = new double[config.numLayers()];
        List<float[]> current = hidden;
        for (int layer = 0; layer < config.numLayers(); layer++) {
            List<float[]> next = forward(weights, layer, current);
            double cosines = 0;
            long tokens = 0;
            for (int i = 0; i < current.size(); i++) {
                float[] a = current.get(i);
                float[] b = next.get(i);
                for (int t = 0; t < window; t++) {
                    double dot = 0;
                    double na = 0;
                    double nb = 0;
                    for (int j = t * width; j < (t + 1) * width; j++) {
                        dot += (double) a[j] * b[j];
                        na += (double) a[j] * a[j];
                        nb += (double) b[j] * b[j];
                    }
                    cosines += na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 1;
                    tokens++;
                }
            }
            influence[layer] = 1 - cosines / tokens;
            current = next;
        }
        return influence;
    }

    private GraphSession session(TensorSource weights, int layer) {
        int kvHeads = FamilyGraphs.kvHeadsPerLayer(config, weights)[layer];
        return new GraphSession(CalibrationGraphs.block(config, weights, layer, width), threads, layer, kvHeads,
                config.headDim());
    }

    private <T> T time(String stage, Supplier<T> work) {
        long start = System.nanoTime();
        try {
            return work.get();
        } finally {
            seconds.merge(stage, (System.nanoTime() - start) / 1e9, Double::sum);
        }
    }
}
