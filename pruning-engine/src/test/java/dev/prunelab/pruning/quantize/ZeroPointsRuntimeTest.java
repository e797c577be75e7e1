package dev.prunelab.pruning.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Asymmetric int4 blocks run through ONNX Runtime's com.microsoft.MatMulNBits with the zero_points input: at
 * accuracy level 0 (float compute) the op equals a float MatMul of {@link BlockQuantizer.Quantized#dequantized}, so
 * the packing of the zero points ([N][ceil(blocks/2)], low nibble first, each row byte-aligned) is the op's.
 */
class ZeroPointsRuntimeTest {
    private static final int M = 3;
    private static final int N = 10;

    private static byte[] model(BlockQuantizer.Quantized q, float[] floatWeightInOut) {
        return MatMulNBitsGraph.model(q, M, N, true, 0, floatWeightInOut);
    }

    private static void check(int k, int block, long seed) throws Exception {
        Random random = new Random(seed);
        float[] w = new float[N * k];
        for (int i = 0; i < w.length; i++) {
            // blocks of different offsets, so the zero points differ from block to block; a quarter pruned
            w[i] = i % 4 == 1 ? 0f : (float) (random.nextGaussian() + ((i % k) / block % 5 - 2) * 0.7);
        }
        BlockQuantizer.Quantized q = BlockQuantizer.quantizeAsymmetric(w, N, k, block);
        float[] dequantizedInOut = new float[k * N];
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < k; c++) {
                dequantizedInOut[c * N + n] = q.dequantized(n, c);
            }
        }
        float[] x = new float[M * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(model(q, dequantizedInOut), options);
                 OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {M, k});
                 OrtSession.Result result = session.run(Map.of("x", input))) {
                float[] quantized = new float[M * N], reference = new float[M * N];
                ((OnnxTensor) result.get("y_int4").get()).getFloatBuffer().get(quantized);
                ((OnnxTensor) result.get("y_float").get()).getFloatBuffer().get(reference);
                for (int i = 0; i < M * N; i++) {
                    assertEquals(reference[i], quantized[i], 1e-4f * (1 + Math.abs(reference[i])),
                            "K " + k + ", output " + i);
                }
            }
        }
    }

    @Test
    void oddBlockCountPadsEachRowsZeroPointsToAByte() throws Exception {
        check(288, 32, 1);   // stories15M's width: 9 blocks per row
    }

    @Test
    void evenBlockCountAndAPartialLastBlock() throws Exception {
        check(96, 32, 2);
        check(200, 32, 3);   // 7 blocks, the last one 8 wide
    }
}
