package dev.prunelab.pruning.prune;

import dev.prunelab.vocabulary.PruneMethod;
import java.util.stream.IntStream;

/**
 * RIA, relative importance and activations (Zhang, Bai, Lin, Zhao, Wang, Zhou &amp; Cheng, "Plug-and-Play: An
 * Efficient Post-training Pruning Method for Large Language Models", ICLR 2024, Eq. 2 and 3):
 * <pre>
 * S_ij = ( |W_ij| / Σ_k |W_ik|  +  |W_ij| / Σ_k |W_kj| ) · (‖X_j‖₂)^a ,   a = 0.5
 * </pre>
 * the first sum over the row (every input of output i), the second over the column (every output fed by input
 * j), as the reference's {@code W_metric = (|W| / sum(|W|, dim=0) + |W| / sum(|W|, dim=1)) * sqrt(scaler_row)^a}.
 * Compared per output row like Wanda: unstructured prunes exactly floor(s·in) per row, N:M the m−n lowest of
 * every group (ties: lower column first). The activation norm differs from the reference's by a constant
 * (Σ_t x² instead of its mean over sequences), which orders every row the same. The paper's optional
 * channel permutation for N:M is not done: it reorders the input channels of a matrix, which an equivalent
 * exported graph would have to undo with a gather on the activations.
 *
 * @param activationPower the exponent a on ‖X_j‖₂ (the paper's 0.5)
 */
public record Ria(double activationPower) implements PruningMethod {
    /** The paper's a. */
    public static final double DEFAULT_ACTIVATION_POWER = 0.5;

    public Ria {
        if (!(activationPower >= 0) || Double.isInfinite(activationPower)) {
            throw new IllegalArgumentException("RIA's activation power must be finite and >= 0, was " + activationPower);
        }
    }

    public Ria() {
        this(DEFAULT_ACTIVATION_POWER);
    }

    @Override
    public PruneMethod word() {
        return PruneMethod.RIA;
    }

    @Override
    public PruneResult prune(float[] weight, int out, int in, InputStatistics stats, SparsityPattern pattern) {
        if (stats == null) {
            throw new IllegalArgumentException("RIA needs the input statistics (‖X_j‖₂ per column)");
        }
        PruningMethod.checkArguments(weight, out, in, stats, pattern);
        float[] scores = scores(weight, out, in, stats.columnNorms(), activationPower);
        long perRow = Selection.pruneCount(pattern.sparsity(), in);
        IntStream.range(0, out).parallel().forEach(r -> {
            Selection.pruneRow(scores, r * in, weight, r, in, pattern, perRow);
        });
        return PruneResult.measure(weight, pattern);
    }

    /**
     * The score matrix (out, in). A row or column whose weights are all zero scores 0 there (0/0 taken as 0),
     * so a dead input is pruned first.
     */
    public static float[] scores(float[] weight, int out, int in, float[] columnNorms, double activationPower) {
        double[] columnSums = new double[in];     // Σ_k |W_kj|
        float[] rowInverse = new float[out];      // 1 / Σ_k |W_ik|
        for (int r = 0; r < out; r++) {
            double rowSum = ScoreKernels.sumAbs(weight, r * in, in);
            ScoreKernels.addAbs(weight, r * in, columnSums, in);
            rowInverse[r] = rowSum > 0 ? (float) (1.0 / rowSum) : 0f;
        }
        float[] columnInverse = new float[in];
        float[] activation = new float[in];
        for (int j = 0; j < in; j++) {
            columnInverse[j] = columnSums[j] > 0 ? (float) (1.0 / columnSums[j]) : 0f;
            activation[j] = (float) Math.pow(columnNorms[j], activationPower);
        }
        float[] scores = new float[weight.length];
        IntStream.range(0, out).parallel().forEach(r ->
                ScoreKernels.relativeImportance(weight, r * in, rowInverse[r], columnInverse, activation, scores, in));
        return scores;
    }
}
