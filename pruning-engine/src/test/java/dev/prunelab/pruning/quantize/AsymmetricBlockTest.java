package dev.prunelab.pruning.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Asymmetric int4 blocks with zero points: a known block reconstructed within half a step, pruned zeros exactly 0,
 * the zero points packed as MatMulNBits reads them, and a smaller error than the symmetric grid on one-sided blocks.
 */
class AsymmetricBlockTest {

    @Test
    void reconstructsAKnownBlockWithZerosExact() {
        // one block of 16 in [-3, 12] with 0 among them: scale 1, zero point 3, code = w + 3
        float[] w = new float[16];
        for (int k = 0; k < 16; k++) {
            w[k] = k - 3;
        }
        BlockQuantizer.Quantized q = BlockQuantizer.quantizeAsymmetric(w, 1, 16, 16);
        assertEquals(1f, q.scales()[0]);
        assertEquals(1, q.zeroPoints().length);
        assertEquals(3, q.zeroPoints()[0] & 0x0f);
        assertEquals(3, q.zeroCode(0, 0));
        for (int k = 0; k < 16; k++) {
            assertEquals(k, q.code(0, k));
            assertEquals(w[k], q.dequantized(0, k));
        }
        assertEquals(1, q.exactZeros());
    }

    @Test
    void everyWeightIsWithinHalfAStepAndZerosStayExactlyZero() {
        int n = 29, k = 288, block = 32;   // 9 blocks: an odd count, so each row's last zero-point byte is half used
        Random random = new Random(11);
        float[] w = new float[n * k];
        long zerosIn = 0;
        for (int i = 0; i < w.length; i++) {
            // some blocks one-sided (all positive), some mixed, a quarter pruned
            double g = random.nextGaussian() * (1 + i % 5);
            w[i] = i % 4 == 2 ? 0f : (float) ((i / block) % 3 == 0 ? Math.abs(g) : g + 0.5);
            zerosIn += w[i] == 0f ? 1 : 0;
        }
        BlockQuantizer.Quantized q = BlockQuantizer.quantizeAsymmetric(w, n, k, block);
        assertEquals(n * 5, q.zeroPoints().length);
        assertEquals(n * 9, q.scales().length);
        for (int r = 0; r < n; r++) {
            assertEquals(0, (q.zeroPoints()[r * 5 + 4] & 0xff) >>> 4, "padding nibble of row " + r);
            for (int c = 0; c < k; c++) {
                float v = w[r * k + c];
                float d = q.dequantized(r, c);
                float scale = q.scales()[r * 9 + c / block];
                if (v == 0f) {
                    assertEquals(0f, d, "pruned weight " + r + "," + c);
                    assertEquals(0, Float.floatToRawIntBits(d) & 0x7fffffff);
                }
                assertTrue(Math.abs(v - d) <= scale / 2 * (1 + 1e-5f), "weight " + r + "," + c + ": " + v + " vs " + d);
                assertTrue(q.code(r, c) >= 0 && q.code(r, c) <= 15);
            }
        }
        assertTrue(q.exactZeros() >= zerosIn);
    }

    @Test
    void oneSidedBlocksGetAFinerGridThanTheSymmetricOne() {
        int n = 8, k = 64;
        Random random = new Random(5);
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) Math.abs(random.nextGaussian());
        }
        BlockQuantizer.Quantized symmetric = BlockQuantizer.quantize(w, n, k, 32);
        BlockQuantizer.Quantized asymmetric = BlockQuantizer.quantizeAsymmetric(w, n, k, 32);
        assertNull(symmetric.zeroPoints());
        double errorSymmetric = 0, errorAsymmetric = 0;
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                errorSymmetric += Math.pow(w[r * k + c] - symmetric.dequantized(r, c), 2);
                errorAsymmetric += Math.pow(w[r * k + c] - asymmetric.dequantized(r, c), 2);
            }
        }
        // all-positive blocks: 15 steps over [0, max] instead of 7
        assertTrue(errorAsymmetric < errorSymmetric / 3, errorAsymmetric + " vs " + errorSymmetric);
    }

    @Test
    void gridCoversTheRangeWithZeroOnAPoint() {
        float[] grid = new float[2];
        BlockQuantizer.asymmetricGrid(-1f, 14f, grid);
        assertEquals(1f, grid[0]);
        assertEquals(1, (int) grid[1]);
        BlockQuantizer.asymmetricGrid(0f, 0f, grid);
        assertEquals(0f, grid[0]);
        BlockQuantizer.asymmetricGrid(-0.01f, 3f, grid);   // a tiny negative end still gets a code of its own
        assertTrue(grid[1] >= 1 && -grid[1] * grid[0] <= -0.01f && (15 - grid[1]) * grid[0] >= 3f);
        BlockQuantizer.asymmetricGrid(-4f, 0f, grid);
        assertEquals(15, (int) grid[1]);
    }
}
