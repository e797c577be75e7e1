package dev.prunelab.pruning.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The int4 layer run through ONNX Runtime's com.microsoft.MatMulNBits against a float MatMul of the dequantized
 * weights: equal up to float rounding at accuracy level 0, and within the int8 activation quantization error at
 * level 4 (the level exports use); against the original float weights, within the weight quantization error.
 */
class MatMulNBitsRuntimeTest {
    private static final int M = 5;
    private static final int K = 96;   // 3 blocks of 32
    private static final int N = 24;

    private static byte[] model(BlockQuantizer.Quantized q, float[] floatWeightInOut, int accuracyLevel) {
        return MatMulNBitsGraph.model(q, M, N, false, accuracyLevel, floatWeightInOut);
    }

    private static float[][] run(byte[] model, float[] x) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(model, options);
                 OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {M, K});
                 OrtSession.Result result = session.run(Map.of("x", input))) {
                float[] q = new float[M * N], f = new float[M * N];
                ((OnnxTensor) result.get("y_int4").get()).getFloatBuffer().get(q);
                ((OnnxTensor) result.get("y_float").get()).getFloatBuffer().get(f);
                return new float[][] {q, f};
            }
        }
    }

    /** W [N, K] with a quarter exactly zero (pruned) and x [M, K]. */
    private static float[] weight(Random random) {
        float[] w = new float[N * K];
        for (int i = 0; i < w.length; i++) {
            w[i] = i % 4 == 1 ? 0f : (float) random.nextGaussian();
        }
        return w;
    }

    private static float[] transposed(float[] w) {  // [N, K] -> [K, N]
        float[] t = new float[w.length];
        for (int n = 0; n < N; n++) {
            for (int k = 0; k < K; k++) {
                t[k * N + n] = w[n * K + k];
            }
        }
        return t;
    }

    @Test
    void matchesTheDequantizedLayerAndStaysWithinTheQuantizationError() throws Exception {
        Random random = new Random(7);
        float[] w = weight(random);
        float[] x = new float[M * K];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        BlockQuantizer.Quantized q = BlockQuantizer.quantize(w, N, K, 32);
        float[] dequantized = new float[N * K];
        for (int n = 0; n < N; n++) {
            for (int k = 0; k < K; k++) {
                dequantized[n * K + k] = q.dequantized(n, k);
                if (w[n * K + k] == 0f) {
                    assertEquals(0f, dequantized[n * K + k]);
                }
            }
        }
        // level 0: float compute, the dequantized layer exactly up to summation order
        float[][] exact = run(model(q, transposed(dequantized), 0), x);
        for (int i = 0; i < M * N; i++) {
            assertEquals(exact[1][i], exact[0][i], 1e-4f * (1 + Math.abs(exact[1][i])), "level 0 output " + i);
        }
        // level 4: activations quantized to int8 per block (scale max|x|/127), so |Δy| <= Σ_k |w_k|·step_k/2
        float[][] int8 = run(model(q, transposed(dequantized), 4), x);
        for (int m = 0; m < M; m++) {
            for (int n = 0; n < N; n++) {
                double bound = 0;
                for (int b = 0; b < K / 32; b++) {
                    float max = 0;
                    for (int k = b * 32; k < (b + 1) * 32; k++) {
                        max = Math.max(max, Math.abs(x[m * K + k]));
                    }
                    for (int k = b * 32; k < (b + 1) * 32; k++) {
                        bound += Math.abs(dequantized[n * K + k]) * max / 127 / 2;
                    }
                }
                int i = m * N + n;
                assertTrue(Math.abs(int8[0][i] - int8[1][i]) <= 1.05 * bound + 1e-4,
                        "level 4 output " + i + ": " + int8[0][i] + " vs " + int8[1][i] + " (bound " + bound + ")");
            }
        }
        // against the original weights: |Δy| <= Σ_k |x_k|·scale_block/2
        float[][] original = run(model(q, transposed(w), 0), x);
        for (int m = 0; m < M; m++) {
            for (int n = 0; n < N; n++) {
                double bound = 0;
                for (int k = 0; k < K; k++) {
                    bound += Math.abs(x[m * K + k]) * q.scales()[n * q.blocksPerRow() + k / 32] / 2;
                }
                int i = m * N + n;
                assertTrue(Math.abs(original[0][i] - original[1][i]) <= bound * (1 + 1e-4) + 1e-4,
                        "output " + i + " off by more than the weight quantization error");
            }
        }
    }
}
