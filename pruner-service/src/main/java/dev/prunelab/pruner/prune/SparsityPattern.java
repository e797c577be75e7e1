package dev.prunelab.pruner.prune;

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
            if (!(sparsity >= 0 && sparsity < 1)) {
                throw new IllegalArgumentException("sparsity must be in [0, 1), was " + sparsity);
            }
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
        public NM {
            if (!(n > 0 && n < m)) {
                throw new IllegalArgumentException("N:M needs 0 < N < M, was " + n + ":" + m);
            }
        }

        @Override
        public double sparsity() {
            return 1.0 - (double) n / m;
        }

        /** How many weights of a group of {@code m} become zero. */
        public int prunedPerGroup() {
            return m - n;
        }

        @Override
        public void checkColumns(int in) {
            if (in <= 0 || in % m != 0) {
                throw new IllegalArgumentException(
                        "M=" + m + " does not divide the " + in + " input columns of the layer (N:M groups run along a row)");
            }
        }

        @Override
        public String toString() {
            return n + ":" + m;
        }
    }

    /** Parses "0.5" (unstructured) or "2:4", "4:8" (N:M). */
    static SparsityPattern parse(String text) {
        String s = text.strip();
        try {
            int colon = s.indexOf(':');
            if (colon < 0) {
                return new Unstructured(Double.parseDouble(s));
            }
            return new NM(Integer.parseInt(s.substring(0, colon).strip()), Integer.parseInt(s.substring(colon + 1).strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("sparsity pattern must look like 0.5 or 2:4, was '" + text + "'", e);
        }
    }
}
