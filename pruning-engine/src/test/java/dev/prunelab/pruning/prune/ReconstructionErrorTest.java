package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The three methods on one layer with the same calibration data: the output reconstruction error
 * ‖W·Xᵀ − Ŵ·Xᵀ‖_F² must order SparseGPT < Wanda < magnitude, as in both papers' layer-wise results.
 */
class ReconstructionErrorTest {
    private static final int OUT = 128, IN = 256, TOKENS = 1024;

    @Test
    void sparseGptBeatsWandaBeatsMagnitude() {
        float[] x = TestLayers.correlatedInputs(TOKENS, IN, new int[] {3, 50, 111, 200}, 41);
        double[] gram = TestLayers.gram(x, TOKENS, IN);
        InputStatistics stats = TestLayers.statistics(x, TOKENS, IN, true);
        float[] w = TestLayers.weight(OUT, IN, 42);
        double signal = TestLayers.reconstructionError(w, new float[w.length], OUT, IN, gram);
        for (SparsityPattern pattern : new SparsityPattern[] {
                new SparsityPattern.Unstructured(0.5), new SparsityPattern.NM(2, 4), new SparsityPattern.NM(4, 8)}) {
            double magnitude = error(new Magnitude(), w, stats, pattern, gram);
            double wanda = error(new Wanda(), w, stats, pattern, gram);
            double sparseGpt = error(new SparseGpt(), w, stats, pattern, gram);
            System.out.printf("reconstruction error ||WX^T - W'X^T||_F^2 at %s (%dx%d, %d tokens): "
                            + "SparseGPT %.4e, Wanda %.4e, magnitude %.4e (relative to ||WX^T||^2 %.4e: %.4f, %.4f, %.4f)%n",
                    pattern, OUT, IN, TOKENS, sparseGpt, wanda, magnitude, signal,
                    sparseGpt / signal, wanda / signal, magnitude / signal);
            assertTrue(sparseGpt < wanda, pattern + ": SparseGPT " + sparseGpt + " vs Wanda " + wanda);
            assertTrue(wanda < magnitude, pattern + ": Wanda " + wanda + " vs magnitude " + magnitude);
        }
    }

    private static double error(PruningMethod method, float[] w, InputStatistics stats, SparsityPattern pattern, double[] gram) {
        float[] pruned = w.clone();
        method.prune(pruned, OUT, IN, stats, pattern);
        return TestLayers.reconstructionError(w, pruned, OUT, IN, gram);
    }
}
