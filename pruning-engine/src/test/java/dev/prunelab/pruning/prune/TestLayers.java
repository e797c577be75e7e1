package dev.prunelab.pruning.prune;

import java.util.Random;

/** Synthetic layers and calibration data for the pruning tests, plus the naive reference math. */
final class TestLayers {
    private TestLayers() {
    }

    /** Gaussian weight [out, in]. */
    static float[] weight(int out, int in, long seed) {
        Random random = new Random(seed);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        return w;
    }

    /**
     * Correlated, non-isotropic activations X = Z·A [tokens, in] (Z Gaussian, A Gaussian / √in) with the
     * columns in {@code outliers} scaled ×20, like the large-magnitude features of LLM activations.
     */
    static float[] correlatedInputs(int tokens, int in, int[] outliers, long seed) {
        Random random = new Random(seed);
        double[] a = new double[in * in];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextGaussian() / Math.sqrt(in);
        }
        float[] x = new float[tokens * in];
        double[] z = new double[in];
        for (int t = 0; t < tokens; t++) {
            for (int k = 0; k < in; k++) {
                z[k] = random.nextGaussian();
            }
            for (int j = 0; j < in; j++) {
                double s = 0;
                for (int k = 0; k < in; k++) {
                    s += z[k] * a[k * in + j];
                }
                x[t * in + j] = (float) s;
            }
        }
        for (int t = 0; t < tokens; t++) {
            for (int j : outliers) {
                x[t * in + j] *= 20f;
            }
        }
        return x;
    }

    /** Sylvester Hadamard matrix of size n (a power of two): ±1 entries, XᵀX = n·I exactly. */
    static float[] hadamard(int n) {
        float[] h = new float[n * n];
        h[0] = 1;
        for (int size = 1; size < n; size *= 2) {
            for (int i = 0; i < size; i++) {
                for (int j = 0; j < size; j++) {
                    float v = h[i * n + j];
                    h[i * n + j + size] = v;
                    h[(i + size) * n + j] = v;
                    h[(i + size) * n + j + size] = -v;
                }
            }
        }
        return h;
    }

    /** XᵀX in double, naively. */
    static double[] gram(float[] x, int tokens, int in) {
        double[] g = new double[in * in];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < in; i++) {
                double xi = x[t * in + i];
                for (int j = 0; j < in; j++) {
                    g[i * in + j] += xi * x[t * in + j];
                }
            }
        }
        return g;
    }

    /** ‖W·Xᵀ − Ŵ·Xᵀ‖_F² = Σ_r Δ_r·(XᵀX)·Δ_rᵀ. */
    static double reconstructionError(float[] original, float[] pruned, int out, int in, double[] gram) {
        double total = 0;
        double[] delta = new double[in];
        for (int r = 0; r < out; r++) {
            for (int j = 0; j < in; j++) {
                delta[j] = (double) original[r * in + j] - pruned[r * in + j];
            }
            for (int i = 0; i < in; i++) {
                if (delta[i] == 0) {
                    continue;
                }
                double s = 0;
                for (int j = 0; j < in; j++) {
                    s += gram[i * in + j] * delta[j];
                }
                total += delta[i] * s;
            }
        }
        return total;
    }

    static InputStatistics statistics(float[] x, int tokens, int in, boolean withHessian) {
        InputStatistics stats = new InputStatistics(in, withHessian);
        stats.accept(x, tokens, in);
        return stats;
    }

    static int zerosIn(float[] w, int from, int len) {
        int zeros = 0;
        for (int i = from; i < from + len; i++) {
            if (w[i] == 0f) {
                zeros++;
            }
        }
        return zeros;
    }
}
