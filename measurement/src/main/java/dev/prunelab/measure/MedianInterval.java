package dev.prunelab.measure;

/**
 * A median over repeats with its distribution-free confidence interval (order statistics; {@code confidence} is
 * the coverage really achieved, at least 0.95 from 6 repeats on, 1 - 2 x 0.5^n of min..max with fewer), as
 * {@link Intervals#median} computes it (JSON: {@code median}, {@code low}, {@code high}, {@code n},
 * {@code confidence}).
 */
public record MedianInterval(double median, double low, double high, int n, double confidence) {
    public MedianInterval {
        IntervalBounds.check("median", median, low, high, n, confidence);
    }

    /** True when both intervals share no point: a difference outside the noise. */
    public boolean disjointFrom(MedianInterval other) {
        return high < other.low || other.high < low;
    }
}
