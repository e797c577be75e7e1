package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * N:M on a width M does not divide (stories260K's MLP is 172 wide, 4:8 leaves a last group of 4): whole groups
 * prune M - N, the short last group prunes the same share, for every method.
 */
class TailGroupTest {
    @ParameterizedTest
    @CsvSource({"magnitude, 4, 8, 172", "wanda, 4, 8, 172", "sparsegpt, 4, 8, 172", "wanda, 2, 4, 14",
        "sparsegpt, 2, 4, 130", "magnitude, 1, 4, 7"})
    void theShortLastGroupPrunesItsShare(String method, int n, int m, int in) {
        int out = 6;
        int tokens = 3 * in;
        SplittableRandom random = new SplittableRandom(in);
        float[] weight = new float[out * in];
        for (int i = 0; i < weight.length; i++) {
            weight[i] = (float) random.nextGaussian();
        }
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        InputStatistics stats = new InputStatistics(in, method.equals("sparsegpt"));
        stats.accept(x, tokens, in);
        PruningMethod pruner = switch (method) {
            case "magnitude" -> new Magnitude();
            case "wanda" -> new Wanda();
            default -> new SparseGpt();
        };
        SparsityPattern.NM pattern = new SparsityPattern.NM(n, m);
        pruner.prune(weight, out, in, stats, pattern);
        for (int r = 0; r < out; r++) {
            for (int g = 0; g < in; g += m) {
                int size = Math.min(m, in - g);
                int zeros = 0;
                for (int c = g; c < g + size; c++) {
                    zeros += weight[r * in + c] == 0f ? 1 : 0;
                }
                assertEquals(pattern.prunedInGroup(size), zeros, method + " row " + r + " group at " + g);
                assertTrue(size - zeros <= n, "at most N kept");
            }
        }
        assertEquals(2, new SparsityPattern.NM(4, 8).prunedInGroup(4)); // 4:8 on a group of 4 prunes 2
    }
}
