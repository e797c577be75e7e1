package dev.prunelab.measure;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.prunelab.vocabulary.Word;

/**
 * A mean over repeats with its confidence interval (Student's t, 95% unless {@code confidence} says less), as
 * {@link Intervals} computes it and as events, reports and the gateway carry it (JSON: {@code mean}, {@code low},
 * {@code high}, {@code n}, {@code confidence}, {@code scale}).
 *
 * @param mean  with {@code scale} linear or clamped the arithmetic mean; with {@code scale} log the geometric mean
 *              exp(mean of ln x)
 * @param n     the repeats
 * @param scale how the interval was computed; absent in events written before it existed, which are linear
 */
public record MeanInterval(double mean, double low, double high, int n, double confidence, Scale scale) {

    /** The scale Student's t interval was computed on. */
    public enum Scale implements Word {
        /** mean +- t s / sqrt(n) of the values themselves: a net figure, which may be 0 or below. */
        LINEAR,
        /**
         * The t interval of ln x, back-transformed: for a quantity that cannot be negative (gross J/token, a ratio of
         * two), both ends stay positive; the center is the geometric mean and the interval is asymmetric around it.
         */
        LOG,
        /**
         * Linear, with the low end raised to 0: a quantity that cannot be negative, with a repeat that read 0 (so
         * the log scale does not apply).
         */
        CLAMPED;

        @JsonCreator
        public static Scale of(String id) {
            return Word.of(Scale.class, "", "interval scale", id);
        }
    }

    public MeanInterval {
        IntervalBounds.check("mean", mean, low, high, n, confidence);
        if (scale == null) {
            scale = Scale.LINEAR;
        }
    }

    /** Linear: the arithmetic mean +- t s / sqrt(n). */
    public MeanInterval(double mean, double low, double high, int n, double confidence) {
        this(mean, low, high, n, confidence, Scale.LINEAR);
    }
}
