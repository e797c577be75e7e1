package dev.prunelab.work;

import java.time.Duration;

/**
 * Exponential backoff: {@code first} after the first failure, doubled after each further one, never more than
 * {@code max}; {@code attempts} bounds the tries of one publish (the first included).
 */
public record Backoff(Duration first, Duration max, int attempts) {

    public Backoff {
        if (first == null || first.isNegative() || first.isZero()) {
            throw new IllegalArgumentException("backoff first delay must be positive, was " + first);
        }
        if (max == null || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("backoff max delay " + max + " is below the first delay " + first);
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("backoff attempts must be at least 1, was " + attempts);
        }
    }

    /** The wait after {@code failures} failures in a row (1 = the first failure). */
    public Duration delay(int failures) {
        if (failures < 1) {
            return Duration.ZERO;
        }
        // doubling past 2^20 only overflows; max caps it long before
        Duration delay = first.multipliedBy(1L << Math.min(failures - 1, 20));
        return delay.compareTo(max) > 0 ? max : delay;
    }
}
