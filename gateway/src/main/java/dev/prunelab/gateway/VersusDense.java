package dev.prunelab.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A run against its sweep's dense reference.
 *
 * @param decodeSpeedup      decode tokens/s over dense's (medians, conservative interval)
 * @param decodeEnergyRatio  decode J/token over dense's (gross means, conservative interval)
 * @param breakEvenTokens    pruning joules / (dense decode J/token - this run's): generated tokens after which the
 *                           pruned model has paid its pruning back; null when it never does (no lower J/token
 *                           outside the noise) or the pruning energy is unknown
 * @param breakEvenNote      why there is no break-even, when there is none
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VersusDense(String denseRunId, Ratio decodeSpeedup, Ratio decodeEnergyRatio, Double breakEvenTokens,
                          String breakEvenNote) {

    /** Null when either side lacks the energy stage. */
    public static VersusDense of(ParetoPoint run, ParetoPoint dense) {
        if (dense == null || run.decodeTokensPerSecond() == null || dense.decodeTokensPerSecond() == null
                || run.decodeJoulesPerToken() == null || dense.decodeJoulesPerToken() == null) {
            return null;
        }
        if (run.runId().equals(dense.runId())) {
            Ratio one = new Ratio(1, 1, 1, Ratio.NO_DIFFERENCE); // the same measurement: no noise between them
            return new VersusDense(dense.runId(), one, one, null, "the dense reference itself");
        }
        Ratio speedup = Ratio.of(run.decodeTokensPerSecond(), dense.decodeTokensPerSecond());
        Ratio energy = Ratio.of(run.decodeJoulesPerToken(), dense.decodeJoulesPerToken());
        double saved = dense.decodeJoulesPerToken().mean() - run.decodeJoulesPerToken().mean();
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
        return new VersusDense(dense.runId(), speedup, energy, breakEven, note);
    }
}
