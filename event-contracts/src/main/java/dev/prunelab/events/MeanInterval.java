package dev.prunelab.events;

/**
 * A mean over repeats with its confidence interval (Student's t, 95% unless {@code confidence} says less).
 *
 * @param n the repeats
 */
public record MeanInterval(double mean, double low, double high, int n, double confidence) {
    public MeanInterval {
        Interval.check("mean", mean, low, high, n, confidence);
    }
}
