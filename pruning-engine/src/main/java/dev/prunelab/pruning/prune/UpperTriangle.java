package dev.prunelab.pruning.prune;

/**
 * The upper triangle of a symmetric n×n matrix stored packed by rows (LAPACK's packed storage, row-major "U"):
 * row i holds the entries j = i..n−1 one after the other, so entry (i, j ≥ i) is at {@code rowBase(n, i) + j}
 * and the whole triangle takes n·(n+1)/2 values, half of the square. The Gram accumulation writes only on and above
 * the diagonal, so keeping the square would hold n·(n−1)/2 values that are never written: at the 14336-wide MLP input
 * of an 8B model, 0.8 GB of a 1.6 GB double H.
 */
final class UpperTriangle {
    private UpperTriangle() {
    }

    /** Values of the packed triangle of an n×n matrix. */
    static int length(int n) {
        long length = (long) n * (n + 1) / 2;
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the upper triangle of a " + n + " x " + n + " matrix has " + length
                    + " values, more than one Java array holds");
        }
        return (int) length;
    }

    /**
     * The offset that, added to a column j ≥ i, gives entry (i, j): i·(2n − i − 1)/2 (rows 0..i−1 hold n, n−1, ...,
     * n−i+1 values). The vector of columns j..j+W−1 of row i is contiguous, as in the square, while j ≥ i.
     */
    static int rowBase(int n, int i) {
        return (int) ((long) i * (2L * n - i - 1) / 2);
    }

    /**
     * The full symmetric n×n matrix, row-major, of a packed upper triangle. The square is filled in tiles, so that
     * the transposed writes below the diagonal stay within a few pages at a time.
     */
    static double[] toSymmetric(double[] packed, int n) {
        if (packed.length != length(n)) {
            throw new IllegalArgumentException("a packed triangle of " + n + " needs " + length(n) + " values, has "
                    + packed.length);
        }
        double[] square = new double[n * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(packed, rowBase(n, i) + i, square, i * n + i, n - i);
        }
        int tile = 64;
        for (int i0 = 0; i0 < n; i0 += tile) {
            for (int j0 = i0; j0 < n; j0 += tile) {
                for (int i = i0, iEnd = Math.min(n, i0 + tile); i < iEnd; i++) {
                    for (int j = Math.max(j0, i + 1), jEnd = Math.min(n, j0 + tile); j < jEnd; j++) {
                        square[j * n + i] = square[i * n + j];
                    }
                }
            }
        }
        return square;
    }
}
