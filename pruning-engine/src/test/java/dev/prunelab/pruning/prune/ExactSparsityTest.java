package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The achieved sparsity equals the requested one exactly, at the granularity each method promises. */
class ExactSparsityTest {
    private static final int[][] SHAPES = {{16, 64}, {33, 128}, {7, 200}};
    private static final double[] SPARSITIES = {0.0, 0.3, 0.5, 0.9};

    private static InputStatistics stats(int in, long seed) {
        int tokens = 2 * in;
        return TestLayers.statistics(TestLayers.correlatedInputs(tokens, in, new int[] {1}, seed), tokens, in, true);
    }

    @Test
    void magnitudeHitsTheCountPerMatrix() {
        for (int[] shape : SHAPES) {
            for (double s : SPARSITIES) {
                float[] w = TestLayers.weight(shape[0], shape[1], 5);
                float[] before = w.clone();
                PruneResult result = new Magnitude().prune(w, shape[0], shape[1], null, new SparsityPattern.Unstructured(s));
                long expected = (long) Math.floor(s * w.length + 1e-9);
                assertEquals(expected, result.zeros(), "magnitude " + s + " on " + shape[0] + "x" + shape[1]);
                assertEquals(s, result.requestedSparsity());
                if (s == 0) {
                    assertArrayEquals(before, w);
                }
                // the pruned ones are the smallest: every zeroed |w| <= every kept |w|
                float maxPruned = 0, minKept = Float.MAX_VALUE;
                for (int i = 0; i < w.length; i++) {
                    if (w[i] == 0) {
                        maxPruned = Math.max(maxPruned, Math.abs(before[i]));
                    } else {
                        minKept = Math.min(minKept, Math.abs(w[i]));
                    }
                }
                assertEquals(true, maxPruned <= minKept);
            }
        }
    }

    @Test
    void wandaHitsTheCountInEveryRow() {
        for (int[] shape : SHAPES) {
            int out = shape[0], in = shape[1];
            InputStatistics stats = stats(in, 6);
            for (double s : SPARSITIES) {
                float[] w = TestLayers.weight(out, in, 7);
                float[] before = w.clone();
                PruneResult result = new Wanda().prune(w, out, in, stats, new SparsityPattern.Unstructured(s));
                long perRow = (long) Math.floor(s * in + 1e-9);
                for (int r = 0; r < out; r++) {
                    assertEquals(perRow, TestLayers.zerosIn(w, r * in, in), "wanda " + s + " row " + r);
                }
                assertEquals(perRow * out, result.zeros());
                if (s == 0) {
                    assertArrayEquals(before, w);
                }
            }
        }
    }

    @Test
    void sparseGptHitsTheCountPerMatrix() {
        for (int[] shape : SHAPES) {
            int out = shape[0], in = shape[1];
            InputStatistics stats = stats(in, 8);
            for (double s : SPARSITIES) {
                float[] w = TestLayers.weight(out, in, 9);
                float[] before = w.clone();
                PruneResult result = new SparseGpt().prune(w, out, in, stats, new SparsityPattern.Unstructured(s));
                assertEquals((long) Math.floor(s * w.length + 1e-9), result.zeros(), "sparsegpt " + s + " " + out + "x" + in);
                assertEquals(result.zeros() / (double) result.total(), result.achievedSparsity());
                if (s == 0) {
                    assertArrayEquals(before, w);
                }
            }
        }
    }

    @Test
    void everyMethodKeepsExactlyNInEveryGroupOfM() {
        List<PruningMethod> methods = List.of(new Magnitude(), new Wanda(), new SparseGpt());
        for (int[] shape : SHAPES) {
            int out = shape[0], in = shape[1];
            InputStatistics stats = stats(in, 10);
            for (SparsityPattern.NM nm : List.of(new SparsityPattern.NM(2, 4), new SparsityPattern.NM(4, 8),
                    new SparsityPattern.NM(1, 4))) {
                for (PruningMethod method : methods) {
                    float[] w = TestLayers.weight(out, in, 12);
                    PruneResult result = method.prune(w, out, in, stats, nm);
                    for (int g = 0; g < w.length; g += nm.m()) {
                        assertEquals(nm.m() - nm.n(), TestLayers.zerosIn(w, g, nm.m()),
                                method + " " + nm + " group at " + g + " of " + out + "x" + in);
                    }
                    assertEquals(nm.sparsity(), result.achievedSparsity(), 1e-12);
                    assertEquals(nm.sparsity(), result.requestedSparsity(), 1e-12);
                }
            }
        }
    }
}
