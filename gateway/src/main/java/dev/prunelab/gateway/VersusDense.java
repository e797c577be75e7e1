package dev.prunelab.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A run against its sweep's dense reference.
 *
 * @param paired             the ratios come from repeats paired with dense's in the same window (drift cancels);
 *                           false: from two windows (conservative intervals)
 * @param decodeSpeedup      decode tokens/s over dense's
 * @param decodeEnergyRatio  decode J/token over dense's (gross)
 * @param breakEvenTokens    pruning joules / (dense decode J/token - this run's): generated tokens after which the
 *                           pruned model has paid its pruning back; null when it never does (no lower J/token
 *                           outside the noise) or the pruning energy is unknown
 * @param breakEvenNote      why there is no break-even, when there is none
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VersusDense(String denseRunId, boolean paired, Ratio decodeSpeedup, Ratio decodeEnergyRatio,
                          Double breakEvenTokens, String breakEvenNote) {

    /** Null when either side lacks the energy stage. */
    public static VersusDense of(ParetoPoint run, ParetoPoint dense) {
        if (dense == null || run.decodeTokensPerSecond() == null || dense.decodeTokensPerSecond() == null
                || run.decodeJoulesPerToken() == null || dense.decodeJoulesPerToken() == null) {
            return null;
        }
        if (run.runId().equals(dense.runId())) {
            Ratio one = new Ratio(1, 1, 1, Ratio.NO_DIFFERENCE); // the same measurement: no noise between them
            return new VersusDense(dense.runId(), true, one, one, null, "the dense reference itself");
        }
        boolean paired = dense.runId().equals(run.referenceRunId()) && run.pairedSpeedup() != null;
        Ratio speedup = paired ? Ratio.measured(run.pairedSpeedup())
                : Ratio.of(run.decodeTokensPerSecond(), dense.decodeTokensPerSecond());
        Ratio energy = paired ? Ratio.measured(run.pairedEnergyRatio())
                : Ratio.of(run.decodeJoulesPerToken(), dense.decodeJoulesPerToken());
        // Joules saved per token: dense's J/token x (1 - the ratio), with the ratio paired when it can be.
        double saved = dense.decodeJoulesPerToken().mean() * (1 - energy.estimate());
        Double breakEven = null;
        String note = null;
        if (!"lower".equals(energy.verdict())) {
            note = "decode J/token is not lower than dense's outside the noise (" + energy.verdict()
                    + "): pruning never pays back";
        } else if (run.pruneJoules() == null) {
            note = "the pruner's energy for this run is unknown";
        } else {
            breakEven = run.pruneJoules() / saved;
        }
        return new VersusDense(dense.runId(), paired, speedup, energy, breakEven, note);
    }
}
