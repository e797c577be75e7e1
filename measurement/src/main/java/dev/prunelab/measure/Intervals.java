package dev.prunelab.measure;

import java.util.Arrays;

/**
 * 95% confidence intervals of repeated measurements: of the mean (Student's t), of the geometric mean of a positive
 * quantity (Student's t on the log scale) and of the median (distribution-free, from order statistics), as
 * {@link MeanInterval} and {@link MedianInterval}.
 */
public final class Intervals {

    /** Two-sided 95%: the t distribution's 0.975 quantile for 1..30 degrees of freedom. */
    private static final double[] T_975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060,
        2.056, 2.052, 2.048, 2.045, 2.042};
    private static final double Z_975 = 1.959964;

    private Intervals() {
    }

    /** Mean +- t(0.975, n - 1) x s / sqrt(n); a single value has the degenerate interval [x, x]. */
    public static MeanInterval mean(double[] values) {
        check(values);
        int n = values.length;
        double mean = Arrays.stream(values).average().orElseThrow();
        if (n == 1) {
            return new MeanInterval(mean, mean, mean, 1, 0);
        }
        double squares = 0;
        for (double v : values) {
            squares += (v - mean) * (v - mean);
        }
        double half = tQuantile975(n - 1) * Math.sqrt(squares / (n - 1) / n);
        return new MeanInterval(mean, mean - half, mean + half, n, 0.95);
    }

    /**
     * For a quantity that cannot be negative (joules per token, a ratio of two such): the t interval of the
     * values' logarithms, back-transformed, so both ends stay positive whatever n and the spread. The center is
     * the geometric mean exp(mean(ln x)), at most the arithmetic mean, and the interval is asymmetric around it
     * (wider above). Equal values give exactly [x, x]. A symmetric interval of the values themselves can reach
     * below 0 at small n (x = {1, 1, 5}: 2.33 +- 5.74), which no energy or ratio can.
     *
     * @throws IllegalArgumentException for a value that is not positive (the log scale does not apply: use
     *                                  {@link #mean} and say so)
     */
    public static MeanInterval logMean(double[] values) {
        check(values);
        for (double v : values) {
            if (!(v > 0)) {
                throw new IllegalArgumentException("a log-scale interval needs positive values, got " + v);
            }
        }
        if (Arrays.stream(values).allMatch(v -> v == values[0])) {
            return new MeanInterval(values[0], values[0], values[0], values.length, values.length == 1 ? 0 : 0.95,
                    MeanInterval.Scale.LOG);
        }
        double[] logs = Arrays.stream(values).map(Math::log).toArray();
        MeanInterval log = mean(logs);
        return new MeanInterval(Math.exp(log.mean()), Math.exp(log.low()), Math.exp(log.high()), log.n(),
                log.confidence(), MeanInterval.Scale.LOG);
    }

    /**
     * A quantity that cannot be negative (gross J/token, a ratio of two): {@link #logMean}, so the low end stays
     * positive at any n. A value of 0 (a counter that had not ticked) rules the log out: then the linear interval,
     * its low end raised to 0 and marked {@link MeanInterval.Scale#CLAMPED}.
     */
    public static MeanInterval positiveMean(double[] values) {
        if (Arrays.stream(values).allMatch(v -> v > 0)) {
            return logMean(values);
        }
        MeanInterval i = mean(values);
        return new MeanInterval(i.mean(), Math.max(0, i.low()), i.high(), i.n(), i.confidence(),
                MeanInterval.Scale.CLAMPED);
    }

    /**
     * The median with the narrowest order-statistic interval [x(j), x(n+1-j)] whose coverage, P(x(j) <= median
     * <= x(n+1-j)) = 1 - 2 P(Binomial(n, 1/2) < j), is at least 0.95 (with fewer than 6 samples min..max, with
     * its lower coverage).
     */
    public static MedianInterval median(double[] values) {
        check(values);
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        int j = 1;
        double coverage = 1 - 2 * binomialCdf(n, 0);
        while (j + 1 <= (n + 1) / 2) {
            double next = 1 - 2 * binomialCdf(n, j);
            if (next < 0.95) {
                break;
            }
            j++;
            coverage = next;
        }
        return new MedianInterval(median, sorted[j - 1], sorted[n - j], n, coverage);
    }

    /** P(Binomial(n, 1/2) <= k). */
    static double binomialCdf(int n, int k) {
        double sum = 0;
        double term = Math.pow(0.5, n); // C(n, 0) / 2^n
        for (int i = 0; i <= k; i++) {
            sum += term;
            term = term * (n - i) / (i + 1);
        }
        return sum;
    }

    /** t(0.975, df): the table up to 30, then the Cornish-Fisher expansion around the normal quantile. */
    static double tQuantile975(int df) {
        if (df < 1) {
            throw new IllegalArgumentException("degrees of freedom must be positive, was " + df);
        }
        if (df <= T_975.length) {
            return T_975[df - 1];
        }
        double z = Z_975;
        double z3 = z * z * z;
        double z5 = z3 * z * z;
        return z + (z3 + z) / (4.0 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96.0 * df * df);
    }

    private static void check(double[] values) {
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException("an interval needs at least one value");
        }
        for (double v : values) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("measurement " + v + " is not a finite number");
            }
        }
    }
}
