package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.pruning.quantize.BlockQuantizer;
import org.junit.jupiter.api.Test;

/**
 * SparseGPT and GPTQ in one sweep: the pruned weights are exactly zero, every weight is its int4 code's value, the
 * sparsity is the pattern's, and the layer's output error is below SparseGPT followed by rounding to nearest and
 * no worse than SparseGPT followed by a separate GPTQ pass, on correlated inputs (fixed seeds: a deterministic
 * comparison).
 */
class SparseGptJointTest {
    private static final int OUT = 48, IN = 256, TOKENS = 600;

    private static float[] dequantized(BlockQuantizer.Quantized q) {
        return GptqTest.dequantized(q, OUT, IN);
    }

    private static void compare(SparsityPattern pattern, long seed) {
        float[] x = TestLayers.correlatedInputs(TOKENS, IN, new int[] {3, 77}, seed);
        double[] gram = TestLayers.gram(x, TOKENS, IN);
        float[] dense = TestLayers.weight(OUT, IN, seed + 1);

        float[] joint = dense.clone();
        SparseGpt.Joint both = new SparseGpt().pruneAndQuantize(joint, OUT, IN,
                TestLayers.statistics(x, TOKENS, IN, true), pattern, 32);
        float[] packed = dequantized(both.quantized());
        for (int i = 0; i < joint.length; i++) {
            assertEquals(packed[i], joint[i], "the codes are the weights left in place, " + i);
        }
        if (pattern instanceof SparsityPattern.NM nm) {
            for (int r = 0; r < OUT; r++) {
                for (int g = 0; g < IN; g += nm.m()) {
                    assertTrue(TestLayers.zerosIn(joint, r * IN + g, nm.m()) >= nm.prunedInGroup(nm.m()),
                            "row " + r + " group " + g);
                }
            }
        }
        long zeros = TestLayers.zerosIn(joint, 0, joint.length);
        assertTrue(zeros >= (long) Math.floor(pattern.sparsity() * joint.length), zeros + " zeros");
        assertEquals(joint.length / 2, both.result().zeros(), "the pruned count, not the weights rounded to 0");

        float[] separate = dense.clone();
        new SparseGpt().prune(separate, OUT, IN, TestLayers.statistics(x, TOKENS, IN, true), pattern);
        float[] rounded = dequantized(BlockQuantizer.quantizeAsymmetric(separate, OUT, IN, 32));
        Gptq.withGroups(32).quantize(separate, OUT, IN, TestLayers.statistics(x, TOKENS, IN, true).hessian());

        double errorJoint = TestLayers.reconstructionError(dense, joint, OUT, IN, gram);
        double errorSeparate = TestLayers.reconstructionError(dense, separate, OUT, IN, gram);
        double errorRounded = TestLayers.reconstructionError(dense, rounded, OUT, IN, gram);
        assertTrue(errorJoint < errorRounded, "joint " + errorJoint + " vs SparseGPT + round to nearest " + errorRounded);
        assertTrue(errorJoint <= errorSeparate, "joint " + errorJoint + " vs SparseGPT then GPTQ " + errorSeparate);
    }

    @Test
    void halfUnstructuredInOneSweep() {
        compare(new SparsityPattern.Unstructured(0.5), 5);
    }

    @Test
    void twoOfFourInOneSweep() {
        compare(new SparsityPattern.NM(2, 4), 7);
    }

    @Test
    void refusesAGroupTheBlockOrThePatternDoesNotDivide() {
        float[] x = TestLayers.correlatedInputs(64, 64, new int[0], 1);
        for (int group : new int[] {24, 256}) {
            assertThrows(IllegalArgumentException.class, () -> new SparseGpt().pruneAndQuantize(new float[8 * 64], 8,
                    64, TestLayers.statistics(x, 64, 64, true), new SparsityPattern.Unstructured(0.5), group));
        }
    }
}
