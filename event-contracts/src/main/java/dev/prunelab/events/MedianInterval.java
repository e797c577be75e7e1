package dev.prunelab.events;

/**
 * A median over repeats with its distribution-free confidence interval (order statistics; {@code confidence} is
 * the coverage really achieved, at least 0.95 from 6 repeats on).
 */
public record MedianInterval(double median, double low, double high, int n, double confidence) {
    public MedianInterval {
        Interval.check("median", median, low, high, n, confidence);
    }

    /** True when both intervals share no point: a difference outside the noise. */
    public boolean disjointFrom(MedianInterval other) {
        return high < other.low || other.high < low;
    }
}
