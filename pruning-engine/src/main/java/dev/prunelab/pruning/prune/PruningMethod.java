package dev.prunelab.pruning.prune;

import dev.prunelab.vocabulary.PruneMethod;

/**
 * One-shot pruning of a linear layer's weight. Every method takes the weight W [out, in] (row-major,
 * Hugging Face Linear layout: rows are output features), the calibration statistics of the layer's
 * input and a {@link SparsityPattern}; it zeroes weights in place (SparseGPT also updates the ones it
 * keeps) and returns the sparsity it achieved, measured on W afterwards.
 */
public sealed interface PruningMethod permits Magnitude, Wanda, SparseGpt, Ria {

    /** The vocabulary's word for this method (its id in requests and reports). */
    PruneMethod word();

    /**
     * Prunes {@code weight} in place.
     *
     * @param weight  (out, in) row-major
     * @param stats   the layer input's statistics ({@link Magnitude} ignores them and accepts null)
     * @param pattern unstructured fraction or N:M
     */
    PruneResult prune(float[] weight, int out, int in, InputStatistics stats, SparsityPattern pattern);

    /** Checks the weight's shape, the pattern against the columns, and the statistics' width. */
    static void checkArguments(float[] weight, int out, int in, InputStatistics stats, SparsityPattern pattern) {
        if (out <= 0 || in <= 0 || (long) out * in != weight.length) {
            throw new IllegalArgumentException("weight of " + weight.length + " values is not " + out + " x " + in);
        }
        pattern.checkColumns(in);
        if (stats != null && stats.in() != in) {
            throw new IllegalArgumentException("statistics are for " + stats.in() + " input features, weight has " + in);
        }
    }
}
