package dev.prunelab.gateway;

import dev.prunelab.events.MeanInterval;
import dev.prunelab.events.MedianInterval;

/**
 * A completed run on the axes the front and the recommendation compare; null where the run lacks the figure.
 * Perplexity and size are exact (the same model and windows always give the same numbers); decode energy and
 * speed are measurements with 95% intervals, compared only where the intervals do not overlap.
 *
 * @param label                 e.g. "wanda 0.5"
 * @param decodeJoulesPerToken  gross, mean over the energy stage's repeats (lower is better)
 * @param decodeTokensPerSecond median over the same repeats (higher is better)
 * @param peakRssBytes          the evaluator's peak resident memory for this run
 * @param pruneJoules           the pruner's energy for this run
 */
public record ParetoPoint(String runId, String label, Double perplexity, Long sizeBytes,
                          MeanInterval decodeJoulesPerToken, MedianInterval decodeTokensPerSecond, Long peakRssBytes,
                          Double pruneJoules) {

    public ParetoPoint {
        if (runId == null || perplexity == null) {
            throw new IllegalArgumentException("a Pareto point needs a run id and a perplexity, got " + runId
                    + " / " + perplexity);
        }
    }
}
