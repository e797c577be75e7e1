package dev.prunelab.gateway;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.prunelab.events.MeanInterval;
import dev.prunelab.events.MedianInterval;

/**
 * A run's figure over the dense run's. Measured in one window with the dense model (paired repeats), it is the
 * pairs' mean ratio with its t interval; measured in separate windows, a conservative interval from both 95%
 * intervals: [low_run / high_dense, high_run / low_dense], which contains 1 exactly when the two overlap. When the
 * interval contains 1 the verdict is "no difference": a ratio inside the noise is not reported as a change.
 *
 * @param verdict "higher", "lower" or "no difference"
 */
public record Ratio(double estimate, double low, double high, String verdict) {

    public static final String NO_DIFFERENCE = "no difference";

    public static Ratio of(MedianInterval run, MedianInterval dense) {
        return of(run.median(), run.low(), run.high(), dense.median(), dense.low(), dense.high());
    }

    public static Ratio of(MeanInterval run, MeanInterval dense) {
        return of(run.mean(), run.low(), run.high(), dense.mean(), dense.low(), dense.high());
    }

    /** A ratio measured directly (paired repeats): its own interval, the verdict by whether it excludes 1. */
    public static Ratio measured(MeanInterval ratio) {
        String verdict = ratio.low() > 1 ? "higher" : ratio.high() < 1 ? "lower" : NO_DIFFERENCE;
        return new Ratio(ratio.mean(), ratio.low(), ratio.high(), verdict);
    }

    static Ratio of(double run, double runLow, double runHigh, double dense, double denseLow, double denseHigh) {
        if (!(dense > 0 && denseLow > 0)) {
            throw new IllegalArgumentException("a ratio needs a positive dense figure, got " + dense + " [" + denseLow
                    + ", " + denseHigh + "]");
        }
        double low = runLow / denseHigh;
        double high = runHigh / denseLow;
        String verdict = low > 1 ? "higher" : high < 1 ? "lower" : NO_DIFFERENCE;
        return new Ratio(run / dense, low, high, verdict);
    }

    /** The interval excludes 1: a difference outside the noise. */
    @JsonIgnore
    public boolean isDifference() {
        return !NO_DIFFERENCE.equals(verdict);
    }
}
