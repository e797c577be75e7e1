package dev.prunelab.evaluation.speed;

import dev.prunelab.measure.ProcessMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PercentilesTest {
    @Test
    void medianAndP90InterpolateLikeNumpy() {
        Percentiles p = Percentiles.of(new double[] {5, 1, 4, 2, 3});
        assertEquals(3, p.median());
        assertEquals(4.6, p.p90(), 1e-12);   // numpy.percentile([1..5], 90) = 4.6
        assertEquals(1, p.min());
        assertEquals(5, p.max());
        assertEquals(5, p.samples());
        assertEquals(2.5, Percentiles.of(new double[] {1, 2, 3, 4}).median());
        assertEquals(7, Percentiles.of(new double[] {7}).p90());
    }

    @Test
    void settingsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new LatencyBenchmark.Settings(8, 1, List.of(1), 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new LatencyBenchmark.Settings(8, 4, List.of(0), 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new LatencyBenchmark.Settings(8, 4, List.of(1), 0, 0, 1));
        assertEquals(2 * 4, new LatencyBenchmark.Settings(8, 4, List.of(1, 8), 3, 1, 1).runs());
    }

    @Test
    void peakRssIsAbsentOrPositive() {
        // the parsing is ProcessMemoryTest's (measurement), on fixture text; here only what holds on any machine
        Long peak = ProcessMemory.peakRssBytes();
        assertTrue(peak == null || peak > 0, "peak " + peak);
    }
}
