package dev.prunelab.pruning.graph;

/** Layout changes of row-major weight matrices. */
public final class Matrices {
    private static final int TILE = 64;

    private Matrices() {
    }

    /** [rows, cols] -> [cols, rows], in cache-friendly tiles (a 7B layer's matrices are ~180 MB each). */
    public static float[] transpose(float[] matrix, int rows, int cols) {
        if ((long) rows * cols != matrix.length) {
            throw new IllegalArgumentException("matrix of " + matrix.length + " values is not " + rows + "x" + cols);
        }
        float[] transposed = new float[matrix.length];
        for (int rowTile = 0; rowTile < rows; rowTile += TILE) {
            int rowEnd = Math.min(rows, rowTile + TILE);
            for (int colTile = 0; colTile < cols; colTile += TILE) {
                int colEnd = Math.min(cols, colTile + TILE);
                for (int r = rowTile; r < rowEnd; r++) {
                    int source = r * cols;
                    for (int c = colTile; c < colEnd; c++) {
                        transposed[c * rows + r] = matrix[source + c];
                    }
                }
            }
        }
        return transposed;
    }

    /**
     * Values {@code first .. first+length-1} of the transpose [cols, rows] of {@code matrix} [rows, cols], into
     * {@code out}: a transposed copy a chunk at a time, for a store that encodes it chunk by chunk without the whole
     * copy. The same tiles as {@link #transpose}, over the source columns the range covers.
     */
    public static void transposeRange(float[] matrix, int rows, int cols, long first, float[] out, int length) {
        if ((long) rows * cols != matrix.length || first < 0 || length < 0 || first + length > matrix.length
                || out.length < length) {
            throw new IllegalArgumentException("values " + first + ".." + (first + length) + " of the transpose of a "
                    + rows + "x" + cols + " matrix of " + matrix.length + " values into " + out.length);
        }
        if (length == 0) {
            return;
        }
        long end = first + length;
        int firstCol = (int) (first / rows), lastCol = (int) ((end - 1) / rows);
        for (int rowTile = 0; rowTile < rows; rowTile += TILE) {
            int rowEnd = Math.min(rows, rowTile + TILE);
            for (int colTile = firstCol; colTile <= lastCol; colTile += TILE) {
                int colEnd = Math.min(lastCol + 1, colTile + TILE);
                for (int r = rowTile; r < rowEnd; r++) {
                    int source = r * cols;
                    for (int c = colTile; c < colEnd; c++) {
                        long at = (long) c * rows + r;
                        if (at >= first && at < end) {
                            out[(int) (at - first)] = matrix[source + c];
                        }
                    }
                }
            }
        }
    }
}
