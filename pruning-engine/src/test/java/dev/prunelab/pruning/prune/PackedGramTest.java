package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The packed rank-k update against a plain XᵀX: sizes that are not multiples of the panel, the tile or the cache block
 * (in = 1, 7, 9, 37, 250, 300 and 517: one to three 256-column blocks), token counts that are not multiples of a
 * vector (1, 5, 13), and tiles that cross the diagonal. Inputs are floats, so every product is exact in double and only
 * the order of the sums differs from the reference: 1e-12 of Σ_t |x_ti·x_tj| bounds it.
 */
class PackedGramTest {

    @ParameterizedTest
    @CsvSource({"1, 1", "1, 13", "7, 5", "9, 1", "37, 13", "64, 256", "250, 5", "517, 37", "300, 256"})
    void packedUpdateEqualsThePlainGramOnTheUpperTriangleOnly(int in, int tokens) {
        assumeTrue(PackedGram.SUPPORTED, "vectors of " + PackedGram.W + " doubles: InputStatistics uses Kernels");
        SplittableRandom random = new SplittableRandom(in * 131L + tokens);
        int offset = 3 * in, t0 = 2; // a window inside a larger batch, from its third token
        float[] x = new float[offset + (t0 + tokens) * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble(-2, 2);
        }
        double[] start = new double[UpperTriangle.length(in)];
        for (int i = 0; i < start.length; i++) {
            start[i] = random.nextDouble();
        }
        double[] h = start.clone();
        double[] packed = new double[PackedGram.packedLength(in, tokens)];
        Arrays.fill(packed, Double.NaN); // whatever pack does not write must not be read
        PackedGram.pack(x, offset, t0, tokens, in, packed);
        double scale = 0.37;
        for (int block = 0; block < PackedGram.columnBlocks(in); block++) {
            for (int group = 0; group < PackedGram.rowGroups(in, block); group++) {
                PackedGram.addUpper(packed, tokens, in, scale, h, group, block);
            }
        }
        assertAgainstReference(x, offset + t0 * in, tokens, in, scale, start, h);
    }

    @ParameterizedTest
    @CsvSource({"1, 1", "9, 3", "37, 300", "250, 257", "517, 20"})
    void hessianOfInputStatisticsEqualsTwoOverNTimesThePlainGramInAPoolOfTwo(int in, int tokens) throws Exception {
        SplittableRandom random = new SplittableRandom(in * 7L + tokens);
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        ForkJoinPool pool = new ForkJoinPool(2);
        try {
            InputStatistics stats = pool.submit(() -> {
                InputStatistics s = new InputStatistics(in, true);
                s.accept(x, tokens, in);
                return s;
            }).get();
            double[] h = stats.hessian();
            double[] zero = new double[UpperTriangle.length(in)];
            double[] upper = new double[UpperTriangle.length(in)];
            for (int i = 0; i < in; i++) {
                for (int j = i; j < in; j++) {
                    upper[UpperTriangle.rowBase(in, i) + j] = h[i * in + j];
                    assertEquals(h[i * in + j], h[j * in + i], 0.0, "H is symmetric at " + i + ", " + j);
                }
            }
            assertAgainstReference(x, 0, tokens, in, 2.0 / tokens, zero, upper);
        } finally {
            pool.shutdown();
        }
    }

    /**
     * h must be start + scale·XᵀX (X = x[from..] as [tokens, in]), both upper triangles packed by rows: every entry
     * of the triangle is written once, none outside it (the array has no other entries).
     */
    private static void assertAgainstReference(float[] x, int from, int tokens, int in, double scale, double[] start,
                                               double[] h) {
        assertEquals(UpperTriangle.length(in), h.length);
        IntStream.range(0, in).forEach(i -> {
            int row = UpperTriangle.rowBase(in, i);
            for (int j = i; j < in; j++) {
                double dot = 0, magnitude = 0;
                for (int t = 0; t < tokens; t++) {
                    double product = (double) x[from + t * in + i] * x[from + t * in + j];
                    dot += product;
                    magnitude += Math.abs(product);
                }
                double expected = start[row + j] + scale * dot;
                double tolerance = 1e-12 * (Math.abs(start[row + j]) + scale * magnitude) + Double.MIN_NORMAL;
                assertEquals(expected, h[row + j], tolerance, "H[" + i + "][" + j + "]");
            }
        });
    }
}
