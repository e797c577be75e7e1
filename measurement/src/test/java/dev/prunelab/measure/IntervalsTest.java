package dev.prunelab.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IntervalsTest {

    @Test
    void meanIntervalIsStudentsT() {
        // mean 3, sample sd sqrt(2.5), n 5: half width 2.776 x sqrt(2.5 / 5) = 1.963
        MeanInterval i = Intervals.mean(new double[] {1, 2, 3, 4, 5});
        assertEquals(3, i.mean(), 1e-12);
        assertEquals(3 - 2.776 * Math.sqrt(0.5), i.low(), 1e-9);
        assertEquals(3 + 2.776 * Math.sqrt(0.5), i.high(), 1e-9);
        assertEquals(0.95, i.confidence());
    }

    @Test
    void aPositiveQuantitysIntervalStaysPositiveOnTheLogScale() {
        // Three repeats, one slow: the symmetric interval reaches below 0, which no J/token or ratio can.
        double[] values = {1, 1, 5};
        assertTrue(Intervals.mean(values).low() < 0, Intervals.mean(values).toString());
        MeanInterval i = Intervals.logMean(values);
        // ln x = {0, 0, ln 5}: mean ln5/3, sample sd ln5/sqrt(3), half width 4.303 x ln5/3
        double center = Math.log(5) / 3;
        double half = 4.303 * Math.log(5) / 3;
        assertEquals(Math.exp(center), i.mean(), 1e-12, "the geometric mean");
        assertEquals(Math.exp(center - half), i.low(), 1e-12);
        assertEquals(Math.exp(center + half), i.high(), 1e-9);
        assertTrue(i.low() > 0 && i.low() < i.mean() && i.mean() < i.high(), i.toString());
        assertEquals(3, i.n());
        assertEquals(0.95, i.confidence());
    }

    @Test
    void equalPositiveValuesGiveExactlyTheirValueAndNonPositiveOnesAreRefused() {
        assertEquals(new MeanInterval(0.5, 0.5, 0.5, 4, 0.95, MeanInterval.Scale.LOG),
                Intervals.logMean(new double[] {0.5, 0.5, 0.5, 0.5}));
        assertEquals(new MeanInterval(2, 2, 2, 1, 0, MeanInterval.Scale.LOG), Intervals.logMean(new double[] {2}));
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> Intervals.logMean(new double[] {1, 0, 2}));
        assertTrue(zero.getMessage().contains("positive values, got 0.0"), zero.getMessage());
    }

    @Test
    void tQuantilesBeyondTheTableFollowTheExpansion() {
        assertEquals(2.042, Intervals.tQuantile975(30), 1e-9);
        assertEquals(2.021, Intervals.tQuantile975(40), 2e-3);
        assertEquals(2.000, Intervals.tQuantile975(60), 2e-3);
        assertEquals(1.984, Intervals.tQuantile975(100), 2e-3);
    }

    @Test
    void medianIntervalOfTenIsTheSecondAndNinthOrderStatistic() {
        double[] values = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
        MedianInterval i = Intervals.median(values);
        assertEquals(5.5, i.median(), 1e-12);
        assertEquals(2, i.low());
        assertEquals(9, i.high());
        assertEquals(1 - 2 * 11 / 1024.0, i.confidence(), 1e-12);
    }

    @Test
    void fewSamplesGiveMinToMaxWithTheirLowerCoverage() {
        MedianInterval i = Intervals.median(new double[] {3, 1, 2});
        assertEquals(2, i.median());
        assertEquals(1, i.low());
        assertEquals(3, i.high());
        assertEquals(0.75, i.confidence(), 1e-12);
    }

    @Test
    void disjointIntervalsAreADifferenceOverlappingOnesAreNot() {
        var a = new MedianInterval(1, 0.9, 1.1, 5, 0.95);
        var b = new MedianInterval(1.15, 1.05, 1.25, 5, 0.95);
        var c = new MedianInterval(1.5, 1.4, 1.6, 5, 0.95);
        assertFalse(a.disjointFrom(b));
        assertTrue(a.disjointFrom(c));
        assertTrue(c.disjointFrom(a));
    }

    @Test
    void nonFiniteMeasurementsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Intervals.mean(new double[] {1, Double.NaN}));
        assertThrows(IllegalArgumentException.class, () -> Intervals.median(new double[0]));
    }
}
