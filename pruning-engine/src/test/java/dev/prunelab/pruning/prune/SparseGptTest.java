package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SparseGptTest {

    /**
     * With X orthogonal (a Hadamard matrix, XᵀX = n·I exactly) H ∝ I, so Hinv is a multiple of I: the
     * OBS saliency w²/d² orders like |w|, and no compensation reaches the other weights. SparseGPT must
     * then return exactly magnitude pruning (one block covering the row: the same global threshold).
     */
    @Test
    void reducesToMagnitudePruningWhenTheHessianIsIsotropic() {
        int out = 40, in = 128;
        InputStatistics stats = TestLayers.statistics(TestLayers.hadamard(in), in, in, true);
        for (SparsityPattern pattern : new SparsityPattern[] {
                new SparsityPattern.Unstructured(0.5), new SparsityPattern.Unstructured(0.77), new SparsityPattern.NM(2, 4)}) {
            float[] sparseGpt = TestLayers.weight(out, in, 21);
            float[] magnitude = sparseGpt.clone();
            new SparseGpt(0.01, 128).prune(sparseGpt, out, in, stats, pattern);
            new Magnitude().prune(magnitude, out, in, null, pattern);
            for (int i = 0; i < sparseGpt.length; i++) {
                assertEquals(magnitude[i], sparseGpt[i], 0f, pattern + " weight " + i);
            }
        }
    }

    @Test
    void compensationChangesTheKeptWeightsWhenInputsAreCorrelated() {
        int out = 8, in = 64;
        InputStatistics stats = TestLayers.statistics(TestLayers.correlatedInputs(256, in, new int[0], 3), 256, in, true);
        float[] w = TestLayers.weight(out, in, 4);
        float[] before = w.clone();
        new SparseGpt().prune(w, out, in, stats, new SparsityPattern.Unstructured(0.5));
        int changedKept = 0;
        for (int i = 0; i < w.length; i++) {
            if (w[i] != 0 && w[i] != before[i]) {
                changedKept++;
            }
        }
        assertTrue(changedKept > w.length / 4, "OBS update should move the kept weights, moved " + changedKept);
    }

    @Test
    void deadInputColumnEndsZeroWithoutNaN() {
        int out = 24, in = 96, tokens = 300, dead = 5;
        float[] x = TestLayers.correlatedInputs(tokens, in, new int[] {7}, 13);
        for (int t = 0; t < tokens; t++) {
            x[t * in + dead] = 0f;
        }
        InputStatistics stats = TestLayers.statistics(x, tokens, in, true);
        for (SparsityPattern pattern : new SparsityPattern[] {new SparsityPattern.Unstructured(0.5), new SparsityPattern.NM(2, 4)}) {
            for (PruningMethod method : new PruningMethod[] {new SparseGpt(), new Wanda()}) {
                float[] w = TestLayers.weight(out, in, 14);
                method.prune(w, out, in, stats, pattern);
                for (int i = 0; i < w.length; i++) {
                    assertTrue(Float.isFinite(w[i]), method + " weight " + i + " is " + w[i]);
                }
                for (int r = 0; r < out; r++) {
                    assertEquals(0f, w[r * in + dead], method + " " + pattern + " row " + r);
                }
            }
        }
    }

    @Test
    void needsTheHessianAndABlockSizeTheGroupsFit() {
        float[] w = new float[64];
        InputStatistics normsOnly = new InputStatistics(16, false);
        assertThrows(IllegalArgumentException.class,
                () -> new SparseGpt().prune(w, 4, 16, normsOnly, new SparsityPattern.Unstructured(0.5)));
        InputStatistics withH = TestLayers.statistics(TestLayers.weight(32, 16, 1), 32, 16, true);
        assertThrows(IllegalArgumentException.class,
                () -> new SparseGpt(0.01, 6).prune(w, 4, 16, withH, new SparsityPattern.NM(2, 4)));
    }

    // SparseGPT's speed on layers of real shapes is a benchmark, not a test: bench/sparsegpt-speed.sh
}
