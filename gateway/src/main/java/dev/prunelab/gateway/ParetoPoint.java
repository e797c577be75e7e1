package dev.prunelab.gateway;

import dev.prunelab.measure.MeanInterval;
import dev.prunelab.measure.MedianInterval;
import dev.prunelab.vocabulary.EnergySource;

/**
 * A completed run on the axes the front and the recommendation compare; null where the run lacks the figure.
 * Perplexity and size are exact (the same model and windows always give the same numbers); decode energy and
 * speed are measurements with 95% intervals, compared only where the intervals do not overlap.
 *
 * @param label                 e.g. "wanda 0.5"
 * @param decodeJoulesPerToken  gross, over the energy stage's repeats in this run's own window (lower is better)
 * @param decodeTokensPerSecond median over the same repeats (higher is better)
 * @param peakRssBytes          the evaluator's peak resident memory for this run
 * @param pruneJoules           the pruner's energy for this run
 * @param referenceRunId        the run its energy stage was paired with (the sweep's dense run), or null
 * @param pairedEnergyRatio     decode J/token over the reference's, from pairs in the same window (the dense run
 *                              itself: exactly 1); null without a reference
 * @param pairedSpeedup         decode tokens/s over the reference's, likewise
 * @param energySource          where the energy stage's joules came from; null without one (or unknown)
 */
public record ParetoPoint(String runId, String label, Double perplexity, Long sizeBytes,
                          MeanInterval decodeJoulesPerToken, MedianInterval decodeTokensPerSecond, Long peakRssBytes,
                          Double pruneJoules, String referenceRunId, MeanInterval pairedEnergyRatio,
                          MeanInterval pairedSpeedup, EnergySource energySource) {

    /** Unpaired, source unknown. */
    public ParetoPoint(String runId, String label, Double perplexity, Long sizeBytes,
                       MeanInterval decodeJoulesPerToken, MedianInterval decodeTokensPerSecond, Long peakRssBytes,
                       Double pruneJoules) {
        this(runId, label, perplexity, sizeBytes, decodeJoulesPerToken, decodeTokensPerSecond, peakRssBytes,
                pruneJoules, null, null, null, null);
    }

    /** The same point as its own reference: ratios exactly 1 (one measurement, no noise between them). */
    public ParetoPoint asReference() {
        MeanInterval one = new MeanInterval(1, 1, 1, 1, 1);
        return new ParetoPoint(runId, label, perplexity, sizeBytes, decodeJoulesPerToken, decodeTokensPerSecond,
                peakRssBytes, pruneJoules, runId, one, one, energySource);
    }

    public ParetoPoint {
        if (runId == null || perplexity == null) {
            throw new IllegalArgumentException("a Pareto point needs a run id and a perplexity, got " + runId
                    + " / " + perplexity);
        }
    }

    /** The run has an energy stage's figures (decode J/token and tokens/s). */
    public boolean measured() {
        return decodeJoulesPerToken != null && decodeTokensPerSecond != null;
    }

    /** Its energy is the CPU-time estimate, not a measurement. */
    public boolean estimated() {
        return energySource == EnergySource.ESTIMATE;
    }
}
