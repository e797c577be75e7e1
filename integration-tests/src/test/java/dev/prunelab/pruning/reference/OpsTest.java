package dev.prunelab.pruning.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prunelab.pruning.family.llama.LlamaNames;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The building blocks against values computed by hand (Python's math / numpy in float64). */
class OpsTest {

    @Test
    void rmsNormDividesByRootMeanSquare() {
        float[] out = Ops.rmsNorm(new float[] {1, 2, 3, 4}, new float[] {1, 1, 2, 0.5f}, 1e-5);
        assertArrayEquals(new float[] {0.3651481282381064f, 0.7302962564762128f, 2.1908887694286383f,
                0.7302962564762128f}, out, 1e-7f);
    }

    @Test
    void layerNormUsesBiasedVarianceWeightAndBias() {
        float[] out = Ops.layerNorm(new float[] {1, 2, 3, 4}, new float[] {1, -1, 2, 0.5f},
                new float[] {0, 1, 0, -1}, 1e-5);
        assertArrayEquals(new float[] {-1.3416354199689269f, 1.447211806656309f, 0.894423613312618f,
                -0.32918229001553656f}, out, 1e-6f);
    }

    @Test
    void attentionSoftmaxCoversExactlyTheCachedPositions() {
        Attention.Cache cache = new Attention.Cache();
        float[] q = {1, 0};
        double scale = 1 / Math.sqrt(2);
        cache.append(new float[] {1, 0}, new float[] {1, 2});
        // one cached position: softmax of a single score is 1, the output is that value
        assertArrayEquals(new float[] {1, 2}, Attention.attend(q, 1, 1, 2, scale, cache), 0f);
        cache.append(new float[] {0, 1}, new float[] {3, -1});
        assertArrayEquals(new float[] {1.6604769013466862f, 1.0092846479799706f},
                Attention.attend(q, 1, 1, 2, scale, cache), 1e-6f);
        cache.append(new float[] {2, 0}, new float[] {0, 5});
        assertArrayEquals(new float[] {0.7040831448713941f, 3.307838300515952f},
                Attention.attend(q, 1, 1, 2, scale, cache), 1e-6f);
    }

    @Test
    void groupedQueryHeadsReadTheirGroupsKvHead() {
        Attention.Cache cache = new Attention.Cache();
        cache.append(new float[] {1, 0, 0, 1}, new float[] {10, 20, 30, 40}); // kv heads 0 and 1, headDim 2
        // 4 query heads, 2 kv heads: heads 0,1 -> kv 0; heads 2,3 -> kv 1
        float[] out = Attention.attend(new float[8], 4, 2, 2, 1, cache);
        assertArrayEquals(new float[] {10, 20, 10, 20, 30, 40, 30, 40}, out, 0f);
    }

    @Test
    void geluNewAndExactGeluAtKnownPoints() {
        double[] x = {0, 1, -1, 2, -3, 0.5};
        double[] geluNew = {0, 0.8411919906082768, -0.15880800939172324, 1.954597694087775,
                -0.0036373920817729943, 0.34571400982514394};
        double[] gelu = {0, 0.8413447460685429, -0.15865525393145707, 1.9544997361036416,
                -0.00404969409489031, 0.34573123063700656};
        for (int i = 0; i < x.length; i++) {
            assertEquals(geluNew[i], Ops.geluNew(x[i]), 1e-12, "gelu_new(" + x[i] + ")");
            assertEquals(gelu[i], Ops.geluExact(x[i]), 1e-12, "gelu(" + x[i] + ")");
        }
    }

    @Test
    void erfMatchesReferenceValues() {
        double[][] cases = {{0.5, 0.5204998778130465}, {1, 0.8427007929497149}, {2, 0.9953222650189527},
                {3, 0.9999779095030014}, {3.5, 0.9999992569016276}, {-2.5, -0.999593047982555},
                {5, 0.9999999999984626}};
        for (double[] c : cases) {
            assertEquals(c[1], Ops.erf(c[0]), 1e-13, "erf(" + c[0] + ")");
        }
    }

    @Test
    void siluIsXTimesSigmoid() {
        assertEquals(0.7310585786300049, Ops.silu(1), 1e-15);
        assertEquals(-0.23840584404423515, Ops.silu(-2), 1e-15);
    }

    /**
     * HF's conversion permutes each head's q/k rows so that interleaved pair (2i, 2i+1) lands at (i, i + d/2);
     * rotate_half on the permuted vector must equal the permuted interleaved rotation.
     */
    @Test
    void rotateHalfEqualsInterleavedRotationUnderThePermutation() {
        Random random = new Random(7);
        int d = 8;
        for (int position : new int[] {0, 1, 5, 37}) {
            float[] interleaved = new float[d];
            for (int i = 0; i < d; i++) {
                interleaved[i] = (float) random.nextGaussian();
            }
            float[] halves = permute(interleaved);
            Ops.rotateInterleaved(interleaved, 0, d, position, 10000);
            Ops.rotateHalf(halves, 0, d, position, 10000);
            assertArrayEquals(permute(interleaved), halves, 1e-6f, "position " + position);
        }
    }

    @Test
    void rotationAtPositionZeroIsIdentityAndKeepsTheNorm() {
        float[] v = {1, 2, 3, 4, 5, 6};
        float[] rotated = v.clone();
        Ops.rotateHalf(rotated, 0, 6, 0, 10000);
        assertArrayEquals(v, rotated, 0f);
        Ops.rotateHalf(rotated, 0, 6, 3, 10000);
        // pair (0, 3) rotates by angle 3: (1, 4) -> (cos3 - 4 sin3, 4 cos3 + sin3)
        assertEquals(Math.cos(3) - 4 * Math.sin(3), rotated[0], 1e-6);
        assertEquals(4 * Math.cos(3) + Math.sin(3), rotated[3], 1e-6);
        assertEquals(Ops.dot(v, 0, v, 0, 6), Ops.dot(rotated, 0, rotated, 0, 6), 1e-4);
    }

    /** Interleaved layout (x0, y0, x1, y1, ...) to halves layout (x0, x1, ..., y0, y1, ...). */
    private static float[] permute(float[] interleaved) {
        int half = interleaved.length / 2;
        float[] out = new float[interleaved.length];
        for (int i = 0; i < half; i++) {
            out[i] = interleaved[2 * i];
            out[i + half] = interleaved[2 * i + 1];
        }
        return out;
    }

    @Test
    void linearIsOutByInAndConv1DIsInByOut() {
        // W [out=2, in=3] = [[1,2,3],[4,5,6]], b = [10, 20]; x = [1, 0, -1] -> [1-3+10, 4-6+20]
        MapTensorSource source = new MapTensorSource()
                .put("lin.weight", new float[] {1, 2, 3, 4, 5, 6}, 2, 3)
                .put("lin.bias", new float[] {10, 20}, 2)
                // the same map as a Conv1D: stored [in=3, out=2] = W transposed
                .put("conv.weight", new float[] {1, 4, 2, 5, 3, 6}, 3, 2)
                .put("conv.bias", new float[] {10, 20}, 2);
        float[] x = {1, 0, -1};
        assertArrayEquals(new float[] {8, 18}, Linear.read(source, "lin").apply(x), 0f);
        assertArrayEquals(new float[] {8, 18}, Linear.readConv1D(source, "conv").apply(x), 0f);
        assertEquals("model.layers.3.self_attn.q_proj", LlamaNames.attention(3, "q_proj"));
    }
}
