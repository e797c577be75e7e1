package dev.prunelab.pruning.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A transpose made chunk by chunk is the whole transpose, whatever the chunks' bounds. */
class MatricesTest {

    @Test
    void everyRangeOfTheTransposeIsThatSliceOfTheWholeTranspose() {
        Random random = new Random(3);
        // 130 x 70 crosses the 64-wide tiles in both directions
        int rows = 130, cols = 70;
        float[] matrix = new float[rows * cols];
        for (int i = 0; i < matrix.length; i++) {
            matrix[i] = random.nextFloat();
        }
        float[] whole = Matrices.transpose(matrix, rows, cols);
        int[][] ranges = {{0, matrix.length}, {0, 1}, {matrix.length - 1, 1}, {0, rows}, {rows - 3, 7},
                {5 * rows + 17, 3 * rows + 40}, {1000, 4096}, {matrix.length - 129, 129}, {77, 0}};
        for (int[] range : ranges) {
            float[] chunk = new float[range[1]];
            Matrices.transposeRange(matrix, rows, cols, range[0], chunk, range[1]);
            assertArrayEquals(Arrays.copyOfRange(whole, range[0], range[0] + range[1]), chunk,
                    "values " + range[0] + " + " + range[1]);
        }
        // chunks of a size that divides nothing, end to end, make the whole
        float[] joined = new float[matrix.length];
        for (int first = 0; first < matrix.length; first += 999) {
            int length = Math.min(999, matrix.length - first);
            float[] chunk = new float[length];
            Matrices.transposeRange(matrix, rows, cols, first, chunk, length);
            System.arraycopy(chunk, 0, joined, first, length);
        }
        assertArrayEquals(whole, joined);
        assertThrows(IllegalArgumentException.class,
                () -> Matrices.transposeRange(matrix, rows, cols, matrix.length - 5, new float[10], 10));
    }
}
