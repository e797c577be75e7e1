package dev.prunelab.measure;

import dev.prunelab.vocabulary.InvalidSetting;

/** The checks {@link MeanInterval} and {@link MedianInterval} share (an event's interval is checked as it decodes). */
final class IntervalBounds {
    private IntervalBounds() {
    }

    static void check(String name, double center, double low, double high, int n, double confidence) {
        if (!(Double.isFinite(center) && Double.isFinite(low) && Double.isFinite(high))) {
            throw new InvalidSetting(name, "the interval must be finite numbers");
        }
        if (!(low <= center + 1e-12 * Math.abs(center) && center <= high + 1e-12 * Math.abs(center))) {
            throw new InvalidSetting(name, center + " is outside its interval [" + low + ", " + high + "]");
        }
        if (n < 1) {
            throw new InvalidSetting("n", n + " must be positive");
        }
        if (!(confidence >= 0 && confidence <= 1)) {
            throw new InvalidSetting("confidence", confidence + " is outside [0, 1]");
        }
    }
}
