package dev.prunelab.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What the recommended run must satisfy.
 *
 * @param maxPerplexityIncrease perplexity at most baseline x (1 + this), e.g. 0.10
 * @param minSpeedup            the decode speed-up's lower 95% bound against dense at least this (null: any)
 * @param maxMemoryMb           the evaluator's peak resident memory for the run at most this many MiB (null: any)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Constraints(double maxPerplexityIncrease, Double minSpeedup, Double maxMemoryMb) {

    public static final double DEFAULT_MAX_PERPLEXITY_INCREASE = 0.10;

    public Constraints {
        if (!(maxPerplexityIncrease >= 0) || Double.isInfinite(maxPerplexityIncrease)) {
            throw new IllegalArgumentException("maxPerplexityIncrease: " + maxPerplexityIncrease
                    + " must be a finite number >= 0");
        }
        if (minSpeedup != null && !(minSpeedup > 0 && Double.isFinite(minSpeedup))) {
            throw new IllegalArgumentException("minSpeedup: " + minSpeedup + " must be a positive finite number");
        }
        if (maxMemoryMb != null && !(maxMemoryMb > 0 && Double.isFinite(maxMemoryMb))) {
            throw new IllegalArgumentException("maxMemoryMb: " + maxMemoryMb + " must be a positive finite number");
        }
    }

    public static Constraints perplexityOnly(double maxPerplexityIncrease) {
        return new Constraints(maxPerplexityIncrease, null, null);
    }
}
