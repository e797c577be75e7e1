package dev.prunelab.gateway;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.prunelab.measure.MeanInterval;
import dev.prunelab.measure.MedianInterval;
import java.util.Locale;

/**
 * A run's figure over the dense run's. Measured in one window with the dense model (paired repeats), it is the
 * pairs' geometric mean ratio with its log-scale t interval ({@link #measured}); measured in separate windows, a
 * conservative interval from both 95% intervals: [low_run / high_dense, high_run / low_dense], which contains 1
 * exactly when the two overlap ({@link #of}). When the interval contains 1 the verdict is "no difference": a ratio
 * inside the noise is not reported as a change.
 *
 * <p>A figure that cannot be negative may still arrive with a low end at or below 0 (an event written before
 * intervals of positive quantities were taken on the log scale, at small n): a run's low end is read as 0, and a
 * dense figure that is not positive divides nothing, so there is no ratio ({@link #problem} says why) rather
 * than an error.
 *
 * @param verdict "higher", "lower" or "no difference"
 */
public record Ratio(double estimate, double low, double high, String verdict) {

    public static final String NO_DIFFERENCE = "no difference";

    /** The ratio of two medians' intervals; null when dense's is not positive ({@link #problem} says why). */
    public static Ratio of(MedianInterval run, MedianInterval dense) {
        return of(run.median(), run.low(), run.high(), dense.median(), dense.low(), dense.high());
    }

    /** The ratio of two means' intervals; null when dense's is not positive ({@link #problem} says why). */
    public static Ratio of(MeanInterval run, MeanInterval dense) {
        return of(run.mean(), run.low(), run.high(), dense.mean(), dense.low(), dense.high());
    }

    /** A ratio measured directly (paired repeats): its own interval, the verdict by whether it excludes 1. */
    public static Ratio measured(MeanInterval ratio) {
        double low = Math.max(0, ratio.low());
        return new Ratio(ratio.mean(), low, ratio.high(), verdict(low, ratio.high()));
    }

    /**
     * Why a dense figure with this interval divides nothing, or null when it can: its center and low end must be
     * positive finite numbers.
     *
     * @param figure what the interval measures, for the message ("decode J/token")
     */
    public static String problem(String figure, double center, double low, double high) {
        if (center > 0 && low > 0 && Double.isFinite(center) && Double.isFinite(high)) {
            return null;
        }
        return String.format(Locale.ROOT, "dense's %s %.4g [%.4g, %.4g] reaches 0 or below: no ratio to it",
                figure, center, low, high);
    }

    static Ratio of(double run, double runLow, double runHigh, double dense, double denseLow, double denseHigh) {
        if (problem("figure", dense, denseLow, denseHigh) != null) {
            return null;
        }
        double low = Math.max(0, runLow) / denseHigh;
        double high = runHigh / denseLow;
        return new Ratio(run / dense, low, high, verdict(low, high));
    }

    private static String verdict(double low, double high) {
        return low > 1 ? "higher" : high < 1 ? "lower" : NO_DIFFERENCE;
    }

    /** The interval excludes 1: a difference outside the noise. */
    @JsonIgnore
    public boolean isDifference() {
        return !NO_DIFFERENCE.equals(verdict);
    }

    /** True when both intervals share no point. */
    boolean disjointFrom(Ratio other) {
        return high < other.low || other.high < low;
    }
}
