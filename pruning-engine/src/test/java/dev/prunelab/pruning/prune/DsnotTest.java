package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DSnoT on every method's mask: the counts per row (unstructured) and per N:M group stay exact, and no output
 * row's reconstruction error of the mean on the calibration data grows, measured here from the activations
 * themselves: ε_i = (1/sequences)·Σ_t Σ_j (W_ij − W'_ij)·x_tj.
 */
class DsnotTest {
    private static final int OUT = 32;
    private static final int IN = 96;
    private static final int TOKENS = 256;
    private static final int SEQUENCES = 4;

    /** Correlated activations with a per-column offset, so E[x_j] is far from 0 as after a norm layer. */
    private static float[] inputs(long seed) {
        float[] x = TestLayers.correlatedInputs(TOKENS, IN, new int[] {5, 40}, seed);
        java.util.Random random = new java.util.Random(seed + 1);
        float[] offset = new float[IN];
        for (int j = 0; j < IN; j++) {
            offset[j] = (float) (random.nextGaussian() * 0.8);
        }
        for (int t = 0; t < TOKENS; t++) {
            for (int j = 0; j < IN; j++) {
                x[t * IN + j] += offset[j];
            }
        }
        return x;
    }

    /** |ε_i| per row from the raw activations (sum over tokens, per sequence). */
    private static double[] rowErrors(float[] dense, float[] pruned, float[] x) {
        double[] errors = new double[OUT];
        for (int r = 0; r < OUT; r++) {
            double e = 0;
            for (int t = 0; t < TOKENS; t++) {
                for (int j = 0; j < IN; j++) {
                    e += ((double) dense[r * IN + j] - pruned[r * IN + j]) * x[t * IN + j];
                }
            }
            errors[r] = Math.abs(e / SEQUENCES);
        }
        return errors;
    }

    @Test
    void keepsCountsAndNeverIncreasesTheErrorOfARow() {
        float[] x = inputs(11);
        InputStatistics stats = TestLayers.statistics(x, TOKENS, IN, true);
        List<PruningMethod> methods = List.of(new Magnitude(), new Wanda(), new Ria(), new SparseGpt(0.01, 32));
        List<SparsityPattern> patterns = List.of(new SparsityPattern.Unstructured(0.5),
                new SparsityPattern.Unstructured(0.6), new SparsityPattern.Unstructured(0.7),
                new SparsityPattern.NM(2, 4), new SparsityPattern.NM(4, 8));
        long totalSwaps = 0;
        for (PruningMethod method : methods) {
            for (SparsityPattern pattern : patterns) {
                String what = PruneRequestName.of(method) + " " + pattern;
                float[] dense = TestLayers.weight(OUT, IN, 12);
                float[] pruned = dense.clone();
                PruneResult before = method.prune(pruned, OUT, IN, stats, pattern);
                float[] mask = pruned.clone();
                double[] errorBefore = rowErrors(dense, pruned, x);
                Dsnot.Result result = new Dsnot().refine(dense, pruned, OUT, IN, stats, SEQUENCES, pattern);
                double[] errorAfter = rowErrors(dense, pruned, x);
                assertEquals(before.zeros(), PruneResult.measure(pruned, pattern).zeros(), what + ": zeros");
                for (int r = 0; r < OUT; r++) {
                    assertEquals(TestLayers.zerosIn(mask, r * IN, IN), TestLayers.zerosIn(pruned, r * IN, IN),
                            what + ": zeros of row " + r);
                    assertTrue(errorAfter[r] <= errorBefore[r] * (1 + 1e-5) + 1e-6,
                            what + ": row " + r + " error " + errorBefore[r] + " -> " + errorAfter[r]);
                }
                if (pattern instanceof SparsityPattern.NM nm) {
                    NmGroups.assertExact(pruned, OUT, IN, nm);
                }
                // a swapped-in weight gets its dense value back; a kept weight is untouched or zeroed
                for (int i = 0; i < dense.length; i++) {
                    assertTrue(pruned[i] == 0f || pruned[i] == mask[i] || (mask[i] == 0f && pruned[i] == dense[i]),
                            what + ": weight " + i);
                }
                assertEquals(java.util.Arrays.stream(errorBefore).sum(), result.errorBefore(),
                        1e-3 * result.errorBefore() + 1e-4, what + ": reported error before");
                assertEquals(java.util.Arrays.stream(errorAfter).sum(), result.errorAfter(),
                        1e-3 * result.errorBefore() + 1e-4, what + ": reported error after");
                assertTrue(result.errorAfter() < result.errorBefore() || result.swaps() == 0, what);
                totalSwaps += result.swaps();
            }
        }
        assertTrue(totalSwaps > 0, "DSnoT swapped nothing on any mask");
    }

    @Test
    void stopsAtTheThresholdAndTheCycleCap() {
        float[] x = inputs(21);
        InputStatistics stats = TestLayers.statistics(x, TOKENS, IN, false);
        float[] dense = TestLayers.weight(OUT, IN, 22);
        float[] pruned = dense.clone();
        new Wanda().prune(pruned, OUT, IN, stats, new SparsityPattern.Unstructured(0.6));
        float[] copy = pruned.clone();
        assertEquals(0, new Dsnot(0, 0.1, 1, false).refine(dense, copy, OUT, IN, stats, SEQUENCES,
                new SparsityPattern.Unstructured(0.6)).swaps(), "no cycles allowed");
        Dsnot.Result capped = new Dsnot(3, 0.0, 1, false).refine(dense, pruned.clone(), OUT, IN, stats, SEQUENCES,
                new SparsityPattern.Unstructured(0.6));
        assertTrue(capped.swaps() <= 3L * OUT, "at most 3 swaps per row, was " + capped.swaps());
        Dsnot.Result loose = new Dsnot(50, 1e9, 1, false).refine(dense, pruned.clone(), OUT, IN, stats, SEQUENCES,
                new SparsityPattern.Unstructured(0.6));
        assertEquals(0, loose.swaps(), "every row is already under a huge threshold");
    }

    /** The wire id of a method, for messages. */
    private static final class PruneRequestName {
        static String of(PruningMethod method) {
            return method.getClass().getSimpleName();
        }
    }
}
