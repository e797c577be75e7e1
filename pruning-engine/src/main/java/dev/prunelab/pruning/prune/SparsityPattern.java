package dev.prunelab.pruning.prune;

import dev.prunelab.vocabulary.NmPattern;
import dev.prunelab.vocabulary.PruneRules;

/**
 * Which weights a pruner may keep. {@link Unstructured}: any fraction {@code sparsity} of the weights
 * becomes zero. {@link NM}: semi-structured N:M sparsity (Mishra et al. 2021, the 2:4 pattern of sparse
 * tensor cores): in every group of {@code m} consecutive input columns of each row at most {@code n}
 * weights are kept, so the sparsity is {@code 1 - n/m}.
 */
public sealed interface SparsityPattern {

    /** The fraction of weights this pattern sets to zero. */
    double sparsity();

    /** Checks that a layer with {@code in} input columns can take this pattern. */
    void checkColumns(int in);

    /** Any fraction {@code sparsity} in [0, 1) of the weights becomes zero. */
    record Unstructured(double sparsity) implements SparsityPattern {
        public Unstructured {
            PruneRules.fraction(PruneRules.SPARSITY, sparsity);
        }

        @Override
        public void checkColumns(int in) {
            if (in <= 0) {
                throw new IllegalArgumentException("a layer needs at least one input column, was " + in);
            }
        }

        @Override
        public String toString() {
            return Double.toString(sparsity);
        }
    }

    /** At most {@code n} weights kept in every group of {@code m} consecutive input columns of a row. */
    record NM(int n, int m) implements SparsityPattern {
        /** Refused as the vocabulary's {@link NmPattern} refuses it (0 < N < M). */
        public NM {
            new NmPattern(n, m);
        }

        @Override
        public double sparsity() {
            return 1.0 - (double) n / m;
        }

        /**
         * Any positive width works: when M does not divide it, the last group of a row is shorter
         * (r &lt; M columns) and prunes {@link #prunedInGroup}(r), the same share of its columns, so a row still
         * keeps at most N weights in every M consecutive columns.
         */
        @Override
        public void checkColumns(int in) {
            if (in <= 0) {
                throw new IllegalArgumentException("a layer needs at least one input column, was " + in);
            }
        }

        /** Weights pruned in a group of {@code size} columns: M - N for a whole group, floor((M - N) size / M) for a tail. */
        public int prunedInGroup(int size) {
            return size == m ? m - n : (m - n) * size / m;
        }

        @Override
        public String toString() {
            return n + ":" + m;
        }
    }

    /** Parses "0.5" (unstructured) or "2:4", "4:8" (N:M, read by the vocabulary's {@link NmPattern}). */
    static SparsityPattern parse(String text) {
        String s = text.strip();
        if (s.indexOf(':') >= 0) {
            return of(NmPattern.parse(NmPattern.FIELD, s));
        }
        try {
            return new Unstructured(Double.parseDouble(s));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("sparsity pattern must look like 0.5 or 2:4, was '" + text + "'", e);
        }
    }

    /** The N:M pattern a request names. */
    static SparsityPattern of(NmPattern pattern) {
        return new NM(pattern.n(), pattern.m());
    }
}
