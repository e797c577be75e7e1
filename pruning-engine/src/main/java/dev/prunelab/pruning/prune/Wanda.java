package dev.prunelab.pruning.prune;

import dev.prunelab.vocabulary.PruneMethod;
import java.util.stream.IntStream;

/**
 * Wanda, "pruning by Weights and activations" (Sun, Liu, Bair &amp; Kolter 2023, arXiv 2306.11695), Eq. 1:
 * S_ij = |W_ij|·‖X_j‖₂, compared per output row. Unstructured: in every row exactly floor(s·in)
 * weights with the lowest score become zero (the reference's {@code sort(dim=-1)[:, :int(in·s)]}; ties:
 * lower column first). N:M: the m−n lowest scores of every group of m columns.
 */
public record Wanda() implements PruningMethod {

    @Override
    public PruneMethod word() {
        return PruneMethod.WANDA;
    }

    @Override
    public PruneResult prune(float[] weight, int out, int in, InputStatistics stats, SparsityPattern pattern) {
        if (stats == null) {
            throw new IllegalArgumentException("Wanda needs the input statistics (‖X_j‖₂ per column)");
        }
        PruningMethod.checkArguments(weight, out, in, stats, pattern);
        float[] norms = stats.columnNorms();
        long perRow = Selection.pruneCount(pattern.sparsity(), in);
        IntStream.range(0, out).parallel().forEach(r -> {
            float[] score = new float[in];
            Kernels.absTimes(weight, r * in, norms, score, in);
            Selection.pruneRow(score, 0, weight, r, in, pattern, perRow);
        });
        return PruneResult.measure(weight, pattern);
    }
}
