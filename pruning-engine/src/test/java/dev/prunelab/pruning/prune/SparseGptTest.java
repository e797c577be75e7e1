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

    /** Not an assertion: the seconds to quote. */
    @Test
    void speedOnGpt2AndSquareLayers() {
        int[][] shapes = {{768, 3072}, {2048, 2048}};
        for (int[] shape : shapes) {
            int out = shape[0], in = shape[1], tokens = 512;
            float[] x = TestLayers.weight(tokens, in, 31); // i.i.d. inputs: the cost does not depend on them
            long t0 = System.nanoTime();
            InputStatistics stats = TestLayers.statistics(x, tokens, in, true);
            long t1 = System.nanoTime();
            float[] w = TestLayers.weight(out, in, 32);
            PruneResult result = new SparseGpt().prune(w, out, in, stats, new SparsityPattern.Unstructured(0.5));
            long t2 = System.nanoTime();
            float[] w24 = TestLayers.weight(out, in, 33);
            new SparseGpt().prune(w24, out, in, stats, new SparsityPattern.NM(2, 4));
            long t3 = System.nanoTime();
            System.out.printf("SparseGPT %dx%d (out x in): Hessian of %d tokens %.2f s, prune 0.5 %.2f s, prune 2:4 %.2f s; %s%n",
                    out, in, tokens, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, result);
        }
    }
}
