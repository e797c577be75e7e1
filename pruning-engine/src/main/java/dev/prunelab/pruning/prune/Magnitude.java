package dev.prunelab.pruning.prune;

import dev.prunelab.vocabulary.PruneMethod;

/**
 * Magnitude pruning (Han et al. 2015; the baseline of the SparseGPT and Wanda papers): score |W_ij|.
 * Unstructured: one threshold for the whole matrix, exactly floor(s·out·in) weights with the smallest
 * |W| become zero (ties: lower flat index first); the reference's {@code |W| <= sorted[int(s·numel)]}
 * would prune one more plus any ties. N:M: in each group of m columns of a row, the m−n smallest |W|.
 */
public record Magnitude() implements PruningMethod {

    @Override
    public PruneMethod word() {
        return PruneMethod.MAGNITUDE;
    }

    @Override
    public PruneResult prune(float[] weight, int out, int in, InputStatistics stats, SparsityPattern pattern) {
        PruningMethod.checkArguments(weight, out, in, stats, pattern);
        boolean[] prune = new boolean[weight.length];
        if (pattern instanceof SparsityPattern.NM nm) {
            for (int row = 0; row < weight.length; row += in) {
                for (int g = 0; g < in; g += nm.m()) {             // the last group of a row may be shorter
                    int size = Math.min(nm.m(), in - g);
                    Selection.markSmallestInGroup(weight, row + g, size, nm.prunedInGroup(size), prune, row + g);
                }
            }
        } else {
            long k = Selection.pruneCount(pattern.sparsity(), weight.length);
            Selection.markSmallest(weight, 0, weight.length, k, prune, 0);
        }
        for (int i = 0; i < weight.length; i++) {
            if (prune[i]) {
                weight[i] = 0f;
            }
        }
        return PruneResult.measure(weight, pattern);
    }
}
