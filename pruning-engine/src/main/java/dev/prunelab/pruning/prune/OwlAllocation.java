package dev.prunelab.pruning.prune;

import java.util.Arrays;
import java.util.List;

/**
 * Layer-wise sparsity by OWL, "Outlier Weighed Layerwise sparsity" (Yin et al. 2023, arXiv 2310.05175).
 * A layer's outlier ratio D_l is the fraction of its Wanda scores A_ij = |W_ij|·‖X_j‖₂ above M times
 * the layer's mean score (Sec. 3, "Layerwise Outlier Distribution", M = 5 by default). Layers with more
 * outliers keep more weights: with D normalised to [0, 1], s_l = s + 2λ·(mean(D̂) − D̂_l) (the
 * reference's density 1 − s_l = 2λ·D̂_l − mean(2λ·D̂) + (1 − s)), so the spread max − min is exactly 2λ
 * and mean(s_l) = s. Note: the values lie in [s − λ, s + λ] only when mean(D̂) = 1/2; in general they
 * lie in [s − 2λ, s + 2λ] with spread 2λ, as in the reference.
 */
public final class OwlAllocation {
    /** The paper's outlier threshold multiplier M. */
    public static final double DEFAULT_THRESHOLD_M = 5.0;
    /** The paper's λ for LLaMA-7B, 0.08. */
    public static final double DEFAULT_LAMBDA = 0.08;
    /** The most a single layer may be pruned after clamping. */
    public static final double MAX_LAYER_SPARSITY = 0.99;

    private OwlAllocation() {
    }

    /** One linear layer's weight [out, in] and its input's ‖X_j‖₂, for a block-level outlier ratio. */
    public record ScoredLinear(float[] weight, int out, int in, float[] columnNorms) {
        public ScoredLinear {
            if ((long) out * in != weight.length || columnNorms.length != in) {
                throw new IllegalArgumentException("weight of " + weight.length + " values and " + columnNorms.length
                        + " column norms do not fit " + out + " x " + in);
            }
        }
    }

    /** The same sparsity for every layer. */
    public static double[] uniform(int layers, double targetSparsity) {
        new SparsityPattern.Unstructured(targetSparsity); // validates
        double[] s = new double[layers];
        Arrays.fill(s, targetSparsity);
        return s;
    }

    /** D for one matrix: the fraction of A_ij = |W_ij|·‖X_j‖₂ that exceed thresholdM·mean(A). */
    public static double outlierRatio(float[] weight, int out, int in, float[] columnNorms, double thresholdM) {
        return outlierRatio(List.of(new ScoredLinear(weight, out, in, columnNorms)), thresholdM);
    }

    /**
     * D for a decoder block, as the reference computes it: the scores of all the block's linear layers
     * concatenated, one mean over all of them.
     */
    public static double outlierRatio(List<ScoredLinear> layers, double thresholdM) {
        double sum = 0;
        long count = 0;
        for (ScoredLinear l : layers) {
            for (int r = 0; r < l.out(); r++) {
                sum += Kernels.sumAbsTimes(l.weight(), r * l.in(), l.columnNorms(), l.in());
            }
            count += l.weight().length;
        }
        float threshold = (float) (thresholdM * sum / count);
        long outliers = 0;
        for (ScoredLinear l : layers) {
            for (int r = 0; r < l.out(); r++) {
                outliers += Kernels.countAbove(l.weight(), r * l.in(), l.columnNorms(), threshold, l.in());
            }
        }
        return (double) outliers / count;
    }

    /**
     * Per-layer sparsities with mean exactly {@code targetSparsity}: s_l = s + 2λ·(mean(D̂) − D̂_l), with
     * D̂ = (D − min D)/(max D − min D); all-equal ratios give the uniform allocation. Values are clamped
     * to [0, 0.99] and the unclamped layers shifted until the mean is the target again.
     */
    public static double[] allocate(double[] outlierRatios, double targetSparsity, double lambda) {
        new SparsityPattern.Unstructured(targetSparsity); // validates
        if (outlierRatios.length == 0 || !(lambda >= 0)) {
            throw new IllegalArgumentException("need at least one layer and lambda >= 0, was "
                    + outlierRatios.length + " layers and lambda " + lambda);
        }
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (double d : outlierRatios) {
            if (!Double.isFinite(d) || d < 0) {
                throw new IllegalArgumentException("outlier ratios must be finite and >= 0, was " + d);
            }
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        int layers = outlierRatios.length;
        if (max == min) {
            return uniform(layers, targetSparsity);
        }
        double[] normalised = new double[layers];
        for (int l = 0; l < layers; l++) {
            normalised[l] = (outlierRatios[l] - min) / (max - min);
        }
        double meanNormalised = Arrays.stream(normalised).average().orElseThrow();
        double[] s = new double[layers];
        for (int l = 0; l < layers; l++) {
            s[l] = targetSparsity + 2 * lambda * (meanNormalised - normalised[l]);
        }
        return clampKeepingMean(s, targetSparsity);
    }

    /** Clamps to [0, 0.99]; spreads what clamping moved over the layers still inside the range. */
    private static double[] clampKeepingMean(double[] s, double target) {
        int layers = s.length;
        for (int iteration = 0; iteration < 100; iteration++) {
            int free = 0;
            for (int l = 0; l < layers; l++) {
                s[l] = Math.min(MAX_LAYER_SPARSITY, Math.max(0, s[l]));
            }
            double deficit = target * layers - Arrays.stream(s).sum();
            if (Math.abs(deficit) < 1e-12 * layers) {
                return s;
            }
            for (int l = 0; l < layers; l++) {
                if (deficit > 0 ? s[l] < MAX_LAYER_SPARSITY : s[l] > 0) {
                    free++;
                }
            }
            for (int l = 0; l < layers; l++) {
                if (deficit > 0 ? s[l] < MAX_LAYER_SPARSITY : s[l] > 0) {
                    s[l] += deficit / free;
                }
            }
        }
        return s;
    }
}
