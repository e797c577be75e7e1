package dev.prunelab.pruning.prune;

/**
 * What one pruning call achieved, measured on the weights afterwards: {@code zeros} of {@code total}
 * weights are zero, next to the sparsity that was asked for.
 *
 * @param zeros             weights equal to zero after pruning (pre-existing zeros included)
 * @param total             weights in the matrix, out·in
 * @param achievedSparsity  zeros / total
 * @param requestedSparsity the pattern's sparsity
 */
public record PruneResult(long zeros, long total, double achievedSparsity, double requestedSparsity) {
    public PruneResult {
        if (total <= 0 || zeros < 0 || zeros > total) {
            throw new IllegalArgumentException("need 0 <= zeros <= total and total > 0, was " + zeros + " of " + total);
        }
    }

    /** Counts the zeros of {@code weight} now. */
    public static PruneResult measure(float[] weight, SparsityPattern requested) {
        long zeros = Kernels.countZeros(weight);
        return new PruneResult(zeros, weight.length, (double) zeros / weight.length, requested.sparsity());
    }

    @Override
    public String toString() {
        return String.format("sparsity %.6f achieved (%.6f requested), %d of %d weights zero",
                achievedSparsity, requestedSparsity, zeros, total);
    }
}
