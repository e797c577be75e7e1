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
}
