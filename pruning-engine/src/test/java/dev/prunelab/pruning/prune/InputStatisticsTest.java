package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class InputStatisticsTest {

    @Test
    void hessianIsTwoOverNTimesGramWhateverTheBatching() {
        int in = 37, tokens = 5 + 300 + 1 + 64;
        float[] x = TestLayers.correlatedInputs(tokens, in, new int[] {3}, 11);
        double[] gram = TestLayers.gram(x, tokens, in);

        InputStatistics pieces = new InputStatistics(in, true);
        int t0 = 0;
        for (int batch : new int[] {5, 300, 1, 64}) {
            pieces.accept(Arrays.copyOfRange(x, t0 * in, (t0 + batch) * in), batch, in);
            t0 += batch;
        }
        InputStatistics whole = TestLayers.statistics(x, tokens, in, true);

        assertEquals(tokens, pieces.tokens());
        double[] hPieces = pieces.hessian(), hWhole = whole.hessian();
        double scale = 0;
        for (double g : gram) {
            scale = Math.max(scale, Math.abs(g) * 2 / tokens);
        }
        for (int i = 0; i < in * in; i++) {
            double expected = 2.0 * gram[i] / tokens;
            assertEquals(expected, hPieces[i], 1e-5 * scale, "batched H entry " + i);
            assertEquals(expected, hWhole[i], 1e-5 * scale, "single-batch H entry " + i);
        }
        double[] squares = pieces.sumOfSquares();
        float[] norms = pieces.columnNorms();
        for (int j = 0; j < in; j++) {
            double expected = gram[j * in + j];
            assertEquals(expected, squares[j], 1e-9 * expected, "‖X_j‖² of column " + j);
            assertEquals(Math.sqrt(expected), norms[j], 1e-5 * Math.sqrt(expected));
        }
    }

    @Test
    void withoutHessianOnlyNormsAreKept() {
        InputStatistics stats = new InputStatistics(4, false);
        stats.accept(new float[] {1, 2, 0, 0, 1, 2, 0, 3}, 2, 4);
        assertEquals(Arrays.toString(new double[] {2, 8, 0, 9}), Arrays.toString(stats.sumOfSquares()));
        assertThrows(IllegalStateException.class, stats::hessian);
        assertThrows(IllegalArgumentException.class, () -> stats.accept(new float[6], 2, 3));
    }
}
