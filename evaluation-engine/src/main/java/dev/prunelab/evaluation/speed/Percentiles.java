package dev.prunelab.evaluation.speed;

import java.util.Arrays;

/**
 * Median and 90th percentile of repeated measurements (linear interpolation between closest ranks, as
 * numpy's default {@code percentile}), with the extremes and the count.
 */
public record Percentiles(double median, double p90, double min, double max, int samples) {

    public static Percentiles of(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return new Percentiles(percentile(sorted, 50), percentile(sorted, 90), sorted[0], sorted[sorted.length - 1],
                sorted.length);
    }

    /** @param sorted ascending values; q in [0, 100] */
    static double percentile(double[] sorted, double q) {
        double rank = q / 100 * (sorted.length - 1);
        int low = (int) Math.floor(rank);
        int high = (int) Math.ceil(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }
}
