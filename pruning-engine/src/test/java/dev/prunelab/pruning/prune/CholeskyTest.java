package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CholeskyTest {

    /** A = BᵀB/k + 0.1·I, a random, non-trivially conditioned SPD matrix. */
    private static double[] randomSpd(int n, long seed) {
        Random random = new Random(seed);
        int k = n + 10;
        double[] b = new double[k * n];
        for (int i = 0; i < b.length; i++) {
            b[i] = random.nextGaussian();
        }
        double[] a = gram(b, k, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i * n + j] = a[i * n + j] / k + (i == j ? 0.1 : 0);
            }
        }
        return a;
    }

    /** MᵀM of a row-major [rows, n] matrix M, summed in row order. */
    private static double[] gram(double[] m, int rows, int n) {
        double[] g = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int t = 0; t < rows; t++) {
                    s += m[t * n + i] * m[t * n + j];
                }
                g[i * n + j] = s;
            }
        }
        return g;
    }

    @Test
    void lowerFactorReproducesTheMatrix() {
        int n = 150; // not a multiple of the 64-column panel
        double[] a = randomSpd(n, 1);
        double[] l = a.clone();
        Cholesky.factorLower(l, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < n; p++) {
                    s += l[i * n + p] * l[j * n + p];
                }
                assertEquals(a[i * n + j], s, 1e-10, "(L·Lᵀ)[" + i + "][" + j + "]");
                if (j > i) {
                    assertEquals(0.0, l[i * n + j]);
                }
            }
        }
    }

    @Test
    void inverseUpperFactorTimesMatrixIsIdentity() {
        int n = 203;
        double[] h = randomSpd(n, 2);
        double[] u = Cholesky.inverseUpperFactor(h, n);
        double[] hinv = new double[n * n]; // UᵀU
        for (int i = 0; i < n; i++) {
            assertTrue(u[i * n + i] > 0, "positive diagonal");
            for (int j = 0; j < i; j++) {
                assertEquals(0.0, u[i * n + j], "upper triangular");
            }
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p <= Math.min(i, j); p++) {
                    s += u[p * n + i] * u[p * n + j];
                }
                hinv[i * n + j] = s;
            }
        }
        double worst = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < n; p++) {
                    s += h[i * n + p] * hinv[p * n + j];
                }
                worst = Math.max(worst, Math.abs(s - (i == j ? 1 : 0)));
            }
        }
        System.out.printf("Cholesky n=%d: max |H·Hinv − I| = %.3e%n", n, worst);
        assertTrue(worst < 1e-9, "max |H·UᵀU − I| = " + worst);
    }

    @Test
    void matchesTheReferenceRouteCholeskyInverseCholesky() {
        int n = 70;
        double[] h = randomSpd(n, 3);
        // reference route: L = chol(H); H⁻¹ = L⁻ᵀL⁻¹; U = upper chol(H⁻¹), all naive
        double[] l = h.clone();
        Cholesky.factorLower(l, n);
        double[] linv = Cholesky.invertLower(l, n);
        double[] inverse = gram(linv, n, n);
        double[] expected = new double[n * n]; // upper U with UᵀU = inverse, scalar Cholesky–Banachiewicz
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                double s = inverse[i * n + j];
                for (int p = 0; p < i; p++) {
                    s -= expected[p * n + i] * expected[p * n + j];
                }
                expected[i * n + j] = i == j ? Math.sqrt(s) : s / expected[i * n + i];
            }
        }
        double[] u = Cholesky.inverseUpperFactor(h, n);
        for (int i = 0; i < n * n; i++) {
            assertEquals(expected[i], u[i], 1e-9 * Math.max(1, Math.abs(expected[i])), "entry " + i);
        }
    }

    @Test
    void theInPlaceFloatFactorIsTheCopyingFactorNarrowedBitForBit() {
        for (int n : new int[] {1, 31, 100, 129}) { // around the 32-column inversion panels and 64-column factor panels
            double[] h = randomSpd(n, 11 + n);
            double[] u = Cholesky.inverseUpperFactor(h, n);
            float[] narrowed = Cholesky.inverseUpperFactorFloat(h.clone(), n);
            for (int i = 0; i < n * n; i++) {
                assertEquals(Float.floatToRawIntBits((float) u[i]), Float.floatToRawIntBits(narrowed[i]),
                        "n " + n + ", entry " + i);
            }
        }
    }

    @Test
    void rejectsMatricesThatAreNotPositiveDefinite() {
        double[] a = {1, 2, 2, 1};
        assertThrows(IllegalArgumentException.class, () -> Cholesky.factorLower(a, 2));
    }
}
