package dev.prunelab.pruning.calibration;

import dev.prunelab.pruning.family.FamilyGraphs.Tap;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.prune.InputStatistics;
import dev.prunelab.vocabulary.InvalidSetting;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sequential calibration on the ONNX Runtime block graphs (the same family code as the export), which both
 * pruners sit on: the window rule, the windows embedded once, then one block at a time its taps' statistics
 * and its outputs, which are the next block's inputs.
 * <pre>
 * windows --embedding graph--> X_0;   X_l --block l--> taps (statistics), X_{l+1}
 * </pre>
 * Only the calibration activations and one block's session are in memory at a time. Seconds go to the stage
 * timer's {@code calibration_forward} and {@code statistics}.
 */
public final class BlockCalibration {
    /** A window left to the model is its context length, capped as the reference implementations do. */
    public static final int DEFAULT_WINDOW_CAP = 2048;

    private final DecoderConfig config;
    private final int window;
    private final int width;
    private final int threads;
    private final StageTimer timer;

    /** @param calibration the request's calibration, or null when it has none (magnitude scores) */
    public BlockCalibration(DecoderConfig config, Calibration calibration, int threads, StageTimer timer) {
        this.config = config;
        this.window = windowTokens(config, calibration);
        this.width = CalibrationGraphs.hiddenWidth(config);
        this.threads = threads;
        this.timer = timer;
    }

    /** Tokens per window: the request's, or the model's context capped at {@value #DEFAULT_WINDOW_CAP}. */
    public static int windowTokens(DecoderConfig config, Calibration calibration) {
        int window = calibration == null || calibration.window() == 0
                ? Math.min(config.contextLength(), DEFAULT_WINDOW_CAP) : calibration.window();
        if (window > config.contextLength()) {
            throw new InvalidSetting("window", window + " tokens exceed the model's context length "
                    + config.contextLength());
        }
        return window;
    }

    public int window() {
        return window;
    }

    public StageTimer timer() {
        return timer;
    }

    /** The windows a prune calibrates on; none when it needs no activations. */
    public List<int[]> windows(WindowSource source, boolean needed) {
        return needed ? source.windows(window) : List.of();
    }

    /** What the report records of the calibration, or null when there was none. */
    public CalibrationSummary summary(Calibration calibration, List<int[]> windows) {
        if (windows.isEmpty()) {
            return null;
        }
        return new CalibrationSummary(calibration.text().toAbsolutePath().toString(), windows.size(), window,
                calibration.seed(), (long) windows.size() * window);
    }

    /** Hidden states [window, width] of every window after the embedding (a list the caller may replace in). */
    public List<float[]> embed(TensorSource weights, List<int[]> windows) {
        if (windows.isEmpty()) {
            return new ArrayList<>();
        }
        return timer.time("calibration_forward", () -> {
            EmbeddingRows rows = new EmbeddingRows(weights, ModelFamilies.of(config).graphs(config).embeddingName(),
                    windows);
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
     * Statistics of every tap of block {@code layer} over the windows (empty without windows).
     *
     * @param withHessian also accumulate each tap's X^T X (SparseGPT)
     * @param advance     replace the hidden states by the block's outputs, in place
     */
    public Map<Tap, InputStatistics> collect(TensorSource weights, int layer, List<float[]> hidden,
            boolean withHessian, boolean advance) {
        Map<Tap, InputStatistics> stats = new EnumMap<>(Tap.class);
        if (hidden.isEmpty()) {
            return stats;
        }
        Set<String> outputs = new HashSet<>();
        for (Tap tap : Tap.values()) {
            outputs.add(tap.outputName());
        }
        if (advance) {
            outputs.add(CalibrationGraphs.HIDDEN_OUTPUT);
        }
        try (GraphSession session = timer.time("calibration_forward", () -> session(weights, layer))) {
            for (int i = 0; i < hidden.size(); i++) {
                float[] input = hidden.get(i);
                Map<String, float[]> values = timer.time("calibration_forward",
                        () -> session.runHidden(input, window, width, outputs));
                timer.time("statistics", () -> {
                    for (Tap tap : Tap.values()) {
                        float[] x = values.get(tap.outputName());
                        int in = x.length / window;
                        stats.computeIfAbsent(tap, t -> new InputStatistics(in, withHessian)).accept(x, window, in);
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
    public List<float[]> forward(TensorSource weights, int layer, List<float[]> hidden) {
        if (hidden.isEmpty()) {
            return hidden;
        }
        return timer.time("calibration_forward", () -> {
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

    /** Width of the hidden states between blocks. */
    public int width() {
        return width;
    }

    private GraphSession session(TensorSource weights, int layer) {
        int kvHeads = ModelFamilies.of(config).kvHeads(config, weights, layer);
        return new GraphSession(CalibrationGraphs.block(config, weights, layer, width), threads, layer, kvHeads,
                config.headDim());
    }
}
