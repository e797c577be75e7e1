package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.pruning.quantize.BlockQuantizer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * GPTQ on a small layer whose inputs are correlated: a lower output error ||XWᵀ − XŴᵀ|| than rounding each block to
 * nearest on the same kind of grid, codes that are the weights it leaves, and a mask (2:4 zeros) kept exactly.
 */
class GptqTest {
    private static final int OUT = 48, IN = 256, TOKENS = 1024;

    /** x [TOKENS, IN] with strongly correlated columns: a few shared factors plus noise, uneven scales. */
    private static float[] inputs(Random random) {
        int factors = 8;
        double[] loading = new double[factors * IN];
        for (int i = 0; i < loading.length; i++) {
            loading[i] = random.nextGaussian();
        }
        float[] x = new float[TOKENS * IN];
        double[] f = new double[factors];
        for (int t = 0; t < TOKENS; t++) {
            for (int q = 0; q < factors; q++) {
                f[q] = random.nextGaussian();
            }
            for (int j = 0; j < IN; j++) {
                double v = 0.3 * random.nextGaussian();
                for (int q = 0; q < factors; q++) {
                    v += f[q] * loading[q * IN + j];
                }
                x[t * IN + j] = (float) (v * (1 + j % 3));
            }
        }
        return x;
    }

    private static double[] hessian(float[] x) {
        double[] h = new double[IN * IN];
        for (int t = 0; t < TOKENS; t++) {
            for (int i = 0; i < IN; i++) {
                double xi = x[t * IN + i];
                for (int j = 0; j < IN; j++) {
                    h[i * IN + j] += 2.0 / TOKENS * xi * x[t * IN + j];
                }
            }
        }
        return h;
    }

    /** ||X·Wᵀ − X·Ŵᵀ||² over the tokens. */
    private static double outputError(float[] x, float[] w, float[] wHat) {
        double sum = 0;
        for (int t = 0; t < TOKENS; t++) {
            for (int r = 0; r < OUT; r++) {
                double d = 0;
                for (int j = 0; j < IN; j++) {
                    d += x[t * IN + j] * (double) (w[r * IN + j] - wHat[r * IN + j]);
                }
                sum += d * d;
            }
        }
        return sum;
    }

    /** The [out, in] weights the blocks hold. */
    static float[] dequantized(BlockQuantizer.Quantized q, int out, int in) {
        float[] d = new float[out * in];
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                d[r * in + c] = q.dequantized(r, c);
            }
        }
        return d;
    }

    private static float[] dequantized(BlockQuantizer.Quantized q) {
        return dequantized(q, OUT, IN);
    }

    private static void compare(boolean twoOfFour, long seed) {
        Random random = new Random(seed);
        float[] x = inputs(random);
        float[] w = new float[OUT * IN];
        for (int i = 0; i < w.length; i++) {
            w[i] = twoOfFour && i % 4 >= 2 ? 0f : (float) (random.nextGaussian() * 0.05);
        }
        BlockQuantizer.Quantized rtn = BlockQuantizer.quantizeAsymmetric(w, OUT, IN, 32);
        float[] gptqWeights = w.clone();
        BlockQuantizer.Quantized gptq = Gptq.withGroups(32).quantize(gptqWeights, OUT, IN, hessian(x));
        float[] packed = dequantized(gptq);
        for (int i = 0; i < w.length; i++) {
            assertEquals(packed[i], gptqWeights[i], "the codes are the weights left in place, " + i);
            if (w[i] == 0f) {
                assertEquals(0f, packed[i], "masked weight " + i);
            }
        }
        double errorRtn = outputError(x, w, dequantized(rtn));
        double errorGptq = outputError(x, w, packed);
        assertTrue(errorGptq < 0.8 * errorRtn, "GPTQ " + errorGptq + " vs round to nearest " + errorRtn);
    }

    @Test
    void lowerOutputErrorThanRoundToNearestOnCorrelatedInputs() {
        compare(false, 1);
    }

    @Test
    void keepsATwoOfFourMaskAndStillBeatsRoundToNearest() {
        compare(true, 2);
    }

    @Test
    void refusesAGroupThatIsNotABlockOfTheExport() {
        assertThrows(IllegalArgumentException.class, () -> new Gptq(0.01, 128, 24));
        assertThrows(IllegalArgumentException.class, () -> new Gptq(0.01, 100, 32));
    }
}
