package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
    void aWindowAtAnOffsetAccumulatesAsTheWindowAlone() {
        int in = 21, window = 300;
        float[] x = TestLayers.correlatedInputs(3 * window, in, new int[] {2}, 5);
        InputStatistics alone = new InputStatistics(in, true);
        InputStatistics offset = new InputStatistics(in, true);
        for (int w = 0; w < 3; w++) {
            alone.accept(Arrays.copyOfRange(x, w * window * in, (w + 1) * window * in), window, in);
            offset.accept(x, w * window * in, window, in);
        }
        assertEquals(Arrays.toString(alone.hessian()), Arrays.toString(offset.hessian()));
        assertEquals(Arrays.toString(alone.sumOfSquares()), Arrays.toString(offset.sumOfSquares()));
        assertEquals(Arrays.toString(alone.columnMeans()), Arrays.toString(offset.columnMeans()));
        assertThrows(IllegalArgumentException.class, () -> offset.accept(x, 3 * window * in - 1, 1, in));
    }

    @Test
    void withoutHessianOnlyNormsAreKept() {
        InputStatistics stats = new InputStatistics(4, false);
        stats.accept(new float[] {1, 2, 0, 0, 1, 2, 0, 3}, 2, 4);
        assertEquals(Arrays.toString(new double[] {2, 8, 0, 9}), Arrays.toString(stats.sumOfSquares()));
        assertThrows(IllegalStateException.class, stats::hessian);
        assertThrows(IllegalArgumentException.class, () -> stats.accept(new float[6], 2, 3));
    }

    @Test
    void theLastReaderTakesTheHessianAndLaterReadsAreRefused() {
        InputStatistics stats = new InputStatistics(3, true);
        stats.accept(new float[] {1, 2, 3, -1, 0, 2}, 2, 3);
        double[] copy = stats.hessian();
        double[] copyAgain = stats.hessian();
        assertArrayEquals(copy, copyAgain);
        assertNotSame(copy, copyAgain, "a reader before the last gets a copy it may destroy");
        copy[0] = Double.NaN;

        stats.handOverHessianOnNextRead();
        double[] own = stats.hessian();
        assertArrayEquals(copyAgain, own, "the same full symmetric H, not the NaN the copy was given");
        IllegalStateException again = assertThrows(IllegalStateException.class, stats::hessian);
        assertEquals("these statistics handed their Hessian over already", again.getMessage());

        InputStatistics withoutHessian = new InputStatistics(3, false);
        withoutHessian.handOverHessianOnNextRead();
        assertEquals("these statistics were built without the Hessian (withHessian = false)",
                assertThrows(IllegalStateException.class, withoutHessian::hessian).getMessage());
    }

    /**
     * Σx² and Σx per column, accumulated row by row, are bit for bit what a dot product and a sum over each column of
     * the transposed chunk give (the statistics Wanda's masks were made from): widths that are not a multiple of a
     * vector and chunks with tail tokens (300 = 256 + 44 tokens), with and without the Hessian.
     */
    @ParameterizedTest
    @CsvSource({"37, 300, false", "37, 300, true", "64, 5, false", "9, 256, true"})
    void columnSumsAreTheTransposedDotProductsBitForBit(int in, int tokens, boolean withHessian) {
        SplittableRandom random = new SplittableRandom(in * 17L + tokens);
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        InputStatistics stats = new InputStatistics(in, withHessian);
        stats.accept(x, tokens, in);
        double[] squares = new double[in], sums = new double[in];
        for (int t0 = 0; t0 < tokens; t0 += 256) {
            int chunk = Math.min(256, tokens - t0);
            double[] column = new double[chunk];
            for (int j = 0; j < in; j++) {
                double sum = 0;
                for (int t = 0; t < chunk; t++) {
                    column[t] = x[(t0 + t) * in + j];
                    sum += column[t];
                }
                squares[j] += Kernels.dot(column, 0, column, 0, chunk);
                sums[j] += sum;
            }
        }
        assertArrayEquals(squares, stats.sumOfSquares());
        for (int j = 0; j < in; j++) {
            assertEquals(sums[j] / tokens, stats.columnMeans()[j], 0.0, "column " + j);
        }
    }
}
