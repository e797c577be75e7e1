package dev.prunelab.pruning.calibration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.family.FamilyGraphs.Tap;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.prune.InputStatistics;
import dev.prunelab.pruning.prune.SparseGpt;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.prune.Wanda;
import dev.prunelab.pruning.unstructured.RandomWindows;
import dev.prunelab.text.corpus.SharedData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Calibration in batches of windows, through pinned outputs and statistics-only block graphs, must give what one
 * window at a time through the full block graph gave: the same statistics (equal within rounding; here they come
 * out equal) and the same Wanda and SparseGPT masks, on the real stories260K.
 */
class BatchedCalibrationTest {
    private static final int WINDOW = 64;
    private static final Calibration REQUEST = new Calibration(Path.of("random"), 37, WINDOW, 0);

    @Test
    void batchesOfWindowsGiveTheStatisticsAndMasksOfOneWindowAtATime() throws Exception {
        Path checkpoint = SharedData.path("models/stories260K/stories260K.bin");
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            List<int[]> windows = windows(model);
            // 2048 tokens a batch = 32 windows: batches of 32 and 5; against 1 window a batch
            BlockCalibration batched = new BlockCalibration(model.config(), REQUEST, 1,
                    new StageTimer(new LinkedHashMap<>()));
            BlockCalibration single = new BlockCalibration(model.config(), REQUEST, 1,
                    new StageTimer(new LinkedHashMap<>()), WINDOW);
            assertEquals(32, batched.batchWindows());
            assertEquals(1, single.batchWindows());
            List<float[]> hiddenBatched = batched.embed(model.tensors(), windows);
            List<float[]> hiddenSingle = single.embed(model.tensors(), windows);
            for (int layer = 0; layer < model.config().numLayers(); layer++) {
                // statistics only (the graph without its dead nodes) against the full graph advancing
                Map<Tap, InputStatistics> a = batched.collect(model.tensors(), layer, hiddenBatched, true, false);
                Map<Tap, InputStatistics> b = single.collect(model.tensors(), layer, hiddenSingle, true, true);
                for (Tap tap : a.keySet()) {
                    String where = "layer " + layer + " " + tap;
                    assertStatisticsEqual(a.get(tap), b.get(tap), where);
                    int in = a.get(tap).in();
                    int out = 3 * in; // any weight of the tap's width prunes the same under equal statistics
                    assertArrayEquals(mask(new Wanda(), a.get(tap), out, in), mask(new Wanda(), b.get(tap), out, in),
                            where + " Wanda mask");
                    assertArrayEquals(mask(new SparseGpt(), a.get(tap), out, in),
                            mask(new SparseGpt(), b.get(tap), out, in), where + " SparseGPT mask");
                }
                hiddenBatched = batched.forward(model.tensors(), layer, hiddenBatched);
                for (int w = 0; w < windows.size(); w++) {
                    assertArrayEquals(hiddenSingle.get(w), hiddenBatched.get(w), 1e-5f, "layer " + layer
                            + " output of window " + w);
                }
                hiddenBatched = new ArrayList<>(hiddenSingle); // both go on from the same states
            }
        }
    }

    @Test
    void theInPlaceForwardWritesTheSameOutputsIntoTheWindowsOwnArrays() throws Exception {
        Path checkpoint = SharedData.path("models/stories260K/stories260K.bin");
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            List<int[]> windows = windows(model);
            BlockCalibration calibration = new BlockCalibration(model.config(), REQUEST, 1,
                    new StageTimer(new LinkedHashMap<>()));
            List<float[]> hidden = calibration.embed(model.tensors(), windows);
            List<float[]> arrays = new ArrayList<>(hidden);
            for (int layer = 0; layer < model.config().numLayers(); layer++) {
                List<float[]> expected = calibration.forward(model.tensors(), layer, hidden);
                calibration.forwardInPlace(model.tensors(), layer, hidden);
                for (int w = 0; w < windows.size(); w++) {
                    assertArrayEquals(expected.get(w), hidden.get(w), "layer " + layer + " window " + w);
                    assertSame(arrays.get(w), hidden.get(w), "the window's own array, not a new one");
                }
            }
        }
    }

    /** 37 seeded random windows of {@value #WINDOW} tokens over the model's vocabulary. */
    private static List<int[]> windows(LoadedModel model) {
        return RandomWindows.of(model.config().vocabSize(), 37, 3).windows(WINDOW);
    }

    private static void assertStatisticsEqual(InputStatistics a, InputStatistics b, String where) {
        assertEquals(b.tokens(), a.tokens(), where + " tokens");
        double[] sa = a.sumOfSquares(), sb = b.sumOfSquares();
        for (int j = 0; j < sa.length; j++) {
            assertEquals(sb[j], sa[j], 1e-6 * Math.abs(sb[j]), where + " Σx² of column " + j);
        }
        double[] ha = a.hessian(), hb = b.hessian();
        double scale = 0;
        for (double h : hb) {
            scale = Math.max(scale, Math.abs(h));
        }
        for (int i = 0; i < ha.length; i++) {
            assertEquals(hb[i], ha[i], 1e-6 * scale, where + " H entry " + i);
        }
    }

    /** The mask a method leaves on a fixed pseudo-random weight [out, in] under these statistics. */
    private static boolean[] mask(dev.prunelab.pruning.prune.PruningMethod method, InputStatistics stats, int out,
            int in) {
        float[] weight = new float[out * in];
        java.util.SplittableRandom random = new java.util.SplittableRandom(out * 7L + in);
        for (int i = 0; i < weight.length; i++) {
            weight[i] = (float) random.nextGaussian();
        }
        method.prune(weight, out, in, stats, new SparsityPattern.Unstructured(0.5));
        boolean[] zeros = new boolean[weight.length];
        for (int i = 0; i < weight.length; i++) {
            zeros[i] = weight[i] == 0f;
        }
        return zeros;
    }
}
