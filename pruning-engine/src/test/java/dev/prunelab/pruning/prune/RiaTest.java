package dev.prunelab.pruning.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** RIA's score against a hand computation, and its exact counts per row and per N:M group. */
class RiaTest {

    @Test
    void scoreMatchesTheHandComputation() {
        // W (2 x 3) = [[1, -2, 3], [-4, 5, 0]]; row sums of |W|: 6, 9; column sums: 5, 7, 3; ||X_j|| = 4, 1, 9
        float[] w = {1, -2, 3, -4, 5, 0};
        float[] norms = {4, 1, 9};
        float[] s = Ria.scores(w, 2, 3, norms, 0.5);
        // S_ij = (|W_ij|/rowsum_i + |W_ij|/colsum_j) * sqrt(||X_j||)
        double[] expected = {
            (1 / 6.0 + 1 / 5.0) * 2, (2 / 6.0 + 2 / 7.0) * 1, (3 / 6.0 + 3 / 3.0) * 3,
            (4 / 9.0 + 4 / 5.0) * 2, (5 / 9.0 + 5 / 7.0) * 1, 0};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], s[i], 1e-6, "score " + i);
        }
        // a = 1 gives the plain norm, a = 0 no activation at all
        assertEquals((1 / 6.0 + 1 / 5.0) * 4, Ria.scores(w, 2, 3, norms, 1.0)[0], 1e-6);
        assertEquals(1 / 6.0 + 1 / 5.0, Ria.scores(w, 2, 3, norms, 0.0)[0], 1e-6);
    }

    @Test
    void prunesTheLowestScoresOfEachRow() {
        float[] w = {1, -2, 3, -4, 5, 0};
        // ||X||² per column 16, 1, 81 -> norms 4, 1, 9 (statistics of one token per column)
        InputStatistics stats = new InputStatistics(3, false);
        stats.accept(new float[] {4, 0, 0, 0, 1, 0, 0, 0, 9}, 3, 3);
        new Ria().prune(w, 2, 3, stats, new SparsityPattern.Unstructured(0.34)); // floor(0.34*3) = 1 per row
        // row 0 scores 0.733, 0.619, 4.5 -> column 1 goes; row 1: 2.489, 1.270, 0 -> column 2 (already 0)
        assertEquals(java.util.Arrays.toString(new float[] {1, 0, 3, -4, 5, 0}), java.util.Arrays.toString(w));
    }

    @Test
    void exactCountsUnstructuredAndNm() {
        int out = 24, in = 100;   // 100 is not a multiple of 8: 4:8 leaves a tail group of 4
        InputStatistics stats = TestLayers.statistics(TestLayers.correlatedInputs(200, in, new int[] {3}, 1), 200, in,
                false);
        for (double s : new double[] {0.5, 0.6, 0.7}) {
            float[] w = TestLayers.weight(out, in, 2);
            PruneResult result = new Ria().prune(w, out, in, stats, new SparsityPattern.Unstructured(s));
            long perRow = (long) Math.floor(s * in + 1e-9);
            for (int r = 0; r < out; r++) {
                assertEquals(perRow, TestLayers.zerosIn(w, r * in, in), "ria " + s + " row " + r);
            }
            assertEquals(perRow * out, result.zeros());
        }
        for (SparsityPattern.NM nm : new SparsityPattern.NM[] {new SparsityPattern.NM(2, 4), new SparsityPattern.NM(4, 8)}) {
            float[] w = TestLayers.weight(out, in, 3);
            new Ria().prune(w, out, in, stats, nm);
            NmGroups.assertExact(w, out, in, nm);
        }
    }
}
