package dev.prunelab.pruning.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The int4 block layout of MatMulNBits, the error bound of each weight, and zeros that stay zero. */
class BlockQuantizerTest {

    @Test
    void packsNibblesAsOnnxRuntimeReadsThem() {
        // one row, one block of 16: w = k - 7 for k < 15 and 0 at k = 15; max |w| = 7 -> scale 1, code = w + 8
        float[] w = new float[16];
        for (int k = 0; k < 15; k++) {
            w[k] = k - 7;
        }
        BlockQuantizer.Quantized q = BlockQuantizer.quantize(w, 1, 16, 16);
        assertEquals(1f, q.scales()[0]);
        assertEquals(8, q.packed().length);
        // byte b holds element 2b in its low nibble and 2b+1 in its high nibble: codes 1,2 -> 0x21
        assertEquals(0x21, q.packed()[0] & 0xff);
        assertEquals((8 << 4) | 15, q.packed()[7] & 0xff);  // element 14 -> code 15, element 15 (0) -> code 8
    }

    @Test
    void everyWeightIsWithinHalfAStepAndZerosStayZero() {
        int n = 37, k = 200, block = 32;   // 200 = 6 blocks + 8: the last block is padded
        Random random = new Random(3);
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextInt(3) == 0 ? 0f : (float) (random.nextGaussian() * (1 + i % 7));
        }
        BlockQuantizer.Quantized q = BlockQuantizer.quantize(w, n, k, block);
        assertEquals(n * 7 * 16, q.packed().length);
        assertEquals(n * 7, q.scales().length);
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                float v = w[r * k + c];
                float scale = q.scales()[r * q.blocksPerRow() + c / block];
                float back = q.dequantized(r, c);
                if (v == 0f) {
                    assertEquals(0f, back, "a pruned weight must stay exactly zero at " + r + "," + c);
                }
                assertTrue(Math.abs(back - v) <= scale / 2 * (1 + 1e-6f), "weight " + r + "," + c + ": " + v
                        + " -> " + back + " (scale " + scale + ")");
            }
            // padding of the last block is the zero code
            for (int c = k; c < q.blocksPerRow() * block; c++) {
                int b = q.packed()[(r * q.blocksPerRow() + c / block) * 16 + (c % block) / 2] & 0xff;
                assertEquals(BlockQuantizer.ZERO_CODE, (c % 2 == 0) ? b & 0xf : b >>> 4);
            }
        }
        // an all-zero block has scale 0 and decodes to zeros
        BlockQuantizer.Quantized zeros = BlockQuantizer.quantize(new float[64], 2, 32, 32);
        assertEquals(0f, zeros.scales()[0]);
        assertEquals(0f, zeros.dequantized(1, 31));
    }
}
