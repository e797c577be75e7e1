package dev.prunelab.pruning.calibration;

import dev.prunelab.pruning.family.FamilyGraphs.Tap;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.prune.InputStatistics;
import dev.prunelab.measure.ThreadPolicy;
import dev.prunelab.vocabulary.InvalidSetting;
import java.nio.FloatBuffer;
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
    /**
     * Tokens per batch of windows a block session runs at once: large enough that each MatMul's rows amortise its
     * packed weights and the pool's hand-offs, small enough that a batch's activations (stories15M: 2,048 x 768
     * floats = 6 MB for the widest) stay in the last-level cache.
     */
    public static final int BATCH_TOKENS = 2048;

    private final DecoderConfig config;
    private final int window;
    private final int width;
    private final int threads;
    private final StageTimer timer;
    private final int batchTokens;

    /**
     * @param calibration the request's calibration, or null when it has none (magnitude scores)
     * @param threads     ONNX Runtime and Java pool threads; 0 = one per idle core ({@link ThreadPolicy})
     */
    public BlockCalibration(DecoderConfig config, Calibration calibration, int threads, StageTimer timer) {
        this(config, calibration, threads, timer, BATCH_TOKENS);
    }

    /** With {@code batchTokens} per block-session batch instead of {@value #BATCH_TOKENS} (tests compare). */
    BlockCalibration(DecoderConfig config, Calibration calibration, int threads, StageTimer timer, int batchTokens) {
        this.config = config;
        this.window = windowTokens(config, calibration);
        this.width = CalibrationGraphs.hiddenWidth(config);
        this.threads = ThreadPolicy.resolve(threads);
        this.timer = timer;
        this.batchTokens = batchTokens;
    }

    /** The threads every session and pool of this calibration uses (the request's, or auto's choice). */
    public int threads() {
        return threads;
    }

    /** Windows per batch a block session runs at once. */
    int batchWindows() {
        return Math.max(1, batchTokens / window);
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
            try (GraphSession session = new GraphSession(CalibrationGraphs.embedding(config, rows), threads)) {
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
     * Without {@code advance} the block's graph stops at its last tap (the output projection of the MLP and the
     * residual it feeds are left out: nothing reads them).
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
        Map<Tap, float[]> tapValues = new EnumMap<>(Tap.class); // (batch x window, in) reused between batches
        try (GraphSession session = timer.time("calibration_forward", () -> session(weights, layer, advance))) {
            int batchWindows = batchWindows();
            for (int from = 0; from < hidden.size(); from += batchWindows) {
                int first = from;
                int batch = Math.min(batchWindows, hidden.size() - from);
                Map<String, FloatBuffer> values = timer.time("calibration_forward", () -> {
                    Map<String, FloatBuffer> out = session.runHiddenBatch(hidden, first, batch, window, width, outputs);
                    if (advance) {
                        FloatBuffer next = out.get(CalibrationGraphs.HIDDEN_OUTPUT);
                        for (int b = 0; b < batch; b++) {
                            float[] states = new float[window * width];
                            next.get(states);
                            hidden.set(first + b, states);
                        }
                    }
                    return out;
                });
                timer.time("statistics", () -> {
                    for (Tap tap : Tap.values()) {
                        FloatBuffer x = values.get(tap.outputName());
                        int in = x.remaining() / (batch * window);
                        float[] scratch = tapValues.get(tap);
                        if (scratch == null || scratch.length < x.remaining()) {
                            scratch = new float[x.remaining()];
                            tapValues.put(tap, scratch);
                        }
                        x.get(scratch, 0, x.remaining());
                        InputStatistics statistics = stats.computeIfAbsent(tap, t -> new InputStatistics(in, withHessian));
                        for (int b = 0; b < batch; b++) {
                            // window by window, so the running means see exactly what they saw one window at a time
                            statistics.accept(scratch, b * window * in, window, in);
                        }
                    }
                    return null;
                });
            }
        }
        return stats;
    }

    /** Block {@code layer}'s outputs for every window, in new arrays ({@code hidden} is left as it was). */
    public List<float[]> forward(TensorSource weights, int layer, List<float[]> hidden) {
        List<float[]> next = new ArrayList<>(hidden.size());
        runBlock(weights, layer, hidden, (index, out) -> {
            float[] states = new float[window * width];
            out.get(states);
            next.add(states);
        });
        return next;
    }

    /**
     * Block {@code layer}'s outputs written over {@code hidden}'s own arrays, window by window: each batch's inputs
     * are copied into ONNX Runtime's input buffer before it runs, so its arrays are free to take its outputs. For the
     * sequential pruners, whose windows' states are theirs alone. No new arrays after the first block: at 8B a
     * window's states are 8 MB, a humongous object for G1 at 2 MB regions, never moved. New ones every block
     * scattered over the heap until a 14336-wide H (1.64 GB, one contiguous run) found no room
     * (bench/results/scale-notes.md).
     */
    public void forwardInPlace(TensorSource weights, int layer, List<float[]> hidden) {
        runBlock(weights, layer, hidden, (index, out) -> out.get(hidden.get(index)));
    }

    /** Where a window's outputs go: {@code out} holds window {@code index}'s [window, width] states next. */
    private interface WindowOutputs {
        void accept(int index, FloatBuffer out);
    }

    /** Runs block {@code layer} over every window, batch by batch, handing each window's outputs in order. */
    private void runBlock(TensorSource weights, int layer, List<float[]> hidden, WindowOutputs sink) {
        if (hidden.isEmpty()) {
            return;
        }
        timer.time("calibration_forward", () -> {
            Set<String> outputs = Set.of(CalibrationGraphs.HIDDEN_OUTPUT);
            try (GraphSession session = session(weights, layer, true)) {
                int batchWindows = batchWindows();
                for (int from = 0; from < hidden.size(); from += batchWindows) {
                    int batch = Math.min(batchWindows, hidden.size() - from);
                    FloatBuffer out = session.runHiddenBatch(hidden, from, batch, window, width, outputs)
                            .get(CalibrationGraphs.HIDDEN_OUTPUT);
                    for (int b = 0; b < batch; b++) {
                        sink.accept(from + b, out);
                    }
                }
            }
            return null;
        });
    }

    /** Width of the hidden states between blocks. */
    public int width() {
        return width;
    }

    private GraphSession session(TensorSource weights, int layer, boolean withHiddenOutput) {
        return new GraphSession(CalibrationGraphs.block(config, weights, layer, width, withHiddenOutput), threads);
    }
}
