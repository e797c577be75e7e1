package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class OwlAllocationTest {
    private static final double LAMBDA = OwlAllocation.DEFAULT_LAMBDA;

    @Test
    void meanIsTheTargetAndMoreOutliersMeanLowerSparsity() {
        double[] ratios = {0.012, 0.031, 0.007, 0.020, 0.045, 0.009, 0.015, 0.033};
        for (double target : new double[] {0.5, 0.7}) {
            double[] s = OwlAllocation.allocate(ratios, target, LAMBDA);
            assertEquals(target, Arrays.stream(s).average().orElseThrow(), 1e-9);
            for (int a = 0; a < s.length; a++) {
                for (int b = 0; b < s.length; b++) {
                    if (ratios[a] > ratios[b]) {
                        assertTrue(s[a] < s[b], "layer " + a + " has more outliers than " + b);
                    }
                }
            }
            double spread = Arrays.stream(s).max().orElseThrow() - Arrays.stream(s).min().orElseThrow();
            assertEquals(2 * LAMBDA, spread, 1e-12, "the reference spreads the layers over 2λ");
            for (double v : s) {
                assertTrue(v >= target - 2 * LAMBDA && v <= target + 2 * LAMBDA);
            }
            System.out.println("OWL s=" + target + " lambda=" + LAMBDA + ": " + Arrays.toString(s));
        }
    }

    @Test
    void symmetricRatiosStayInTheLambdaBand() {
        double[] s = OwlAllocation.allocate(new double[] {0.01, 0.02, 0.03, 0.04, 0.05}, 0.6, LAMBDA);
        assertArrayEquals(new double[] {0.68, 0.64, 0.60, 0.56, 0.52}, s, 1e-12);
        for (double v : s) {
            assertTrue(v >= 0.6 - LAMBDA - 1e-12 && v <= 0.6 + LAMBDA + 1e-12);
        }
    }

    @Test
    void clampingKeepsTheMean() {
        double[] s = OwlAllocation.allocate(new double[] {0, 0, 0, 1}, 0.95, LAMBDA);
        assertEquals(0.95, Arrays.stream(s).average().orElseThrow(), 1e-9);
        for (double v : s) {
            assertTrue(v >= 0 && v <= OwlAllocation.MAX_LAYER_SPARSITY, Arrays.toString(s));
        }
        assertArrayEquals(new double[] {0.5, 0.5, 0.5}, OwlAllocation.allocate(new double[] {0.1, 0.1, 0.1}, 0.5, LAMBDA));
        assertArrayEquals(new double[] {0.4, 0.4}, OwlAllocation.uniform(2, 0.4));
        assertThrows(IllegalArgumentException.class, () -> OwlAllocation.allocate(new double[] {0.1}, 1.2, LAMBDA));
    }

    @Test
    void outlierRatioCountsScoresAboveMTimesTheMean() {
        int out = 10, in = 100;
        float[] w = new float[out * in];
        Arrays.fill(w, -1f);
        float[] norms = new float[in];
        Arrays.fill(norms, 1f);
        norms[0] = 100f; // scores: 10 at 100, 990 at 1; mean 1.99; 5·mean = 9.95
        assertEquals(0.01, OwlAllocation.outlierRatio(w, out, in, norms, 5.0), 1e-12);
        assertEquals(0.0, OwlAllocation.outlierRatio(w, out, in, norms, 60.0), 1e-12);
        // a block: the mean is over both matrices together
        float[] w2 = new float[out * in];
        Arrays.fill(w2, 1f);
        float[] flat = new float[in];
        Arrays.fill(flat, 1f);
        double block = OwlAllocation.outlierRatio(List.of(
                new OwlAllocation.ScoredLinear(w, out, in, norms), new OwlAllocation.ScoredLinear(w2, out, in, flat)), 5.0);
        assertEquals(10.0 / 2000, block, 1e-12);
    }
}
