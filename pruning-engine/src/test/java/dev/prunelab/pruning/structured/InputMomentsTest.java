package dev.prunelab.pruning.structured;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.prunelab.pruning.prune.InputStatistics;
import org.junit.jupiter.api.Test;

/** FLAP needs each input column's mean and variance over calibration tokens, accumulated batch by batch. */
class InputMomentsTest {
    @Test
    void meansAndVariancesOverBatchesEqualTheDirectComputation() {
        InputStatistics stats = new InputStatistics(2, false);
        stats.accept(new float[] {1, 10, 3, 20}, 2, 2);      // tokens (1, 10), (3, 20)
        stats.accept(new float[] {5, 30}, 1, 2);             // token (5, 30)
        assertArrayEquals(new double[] {3, 20}, stats.columnMeans(), 1e-12);
        assertArrayEquals(new double[] {8.0 / 3, 200.0 / 3}, stats.columnVariances(), 1e-9);
    }
}
