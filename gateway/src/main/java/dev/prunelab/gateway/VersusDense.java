package dev.prunelab.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * A run against its sweep's dense reference, decided per run: a run whose energy stage measured dense's model in
 * its own window (repeats alternating) is compared by those paired ratios, in which the machine's drift between
 * windows cancels; a run without them is compared conservatively from the two runs' absolute figures, each
 * measured in its own window ({@link Ratio#of}: [low / dense high, high / dense low]), and says so. Either way the
 * other runs keep their own comparison.
 *
 * @param paired             the ratios come from repeats paired with dense's in the same window; false: from two
 *                           windows (conservative intervals)
 * @param comparison         {@value #PAIRED}, {@value #UNPAIRED} or {@value #ITSELF}
 * @param decodeSpeedup      decode tokens/s over dense's; null when it cannot be had ({@code note} says why)
 * @param decodeEnergyRatio  decode J/token (gross) over dense's; null when it cannot be had
 * @param breakEvenTokens    pruning joules / (dense decode J/token - this run's): generated tokens after which the
 *                           pruned model has paid its pruning back; null when it never does (no lower J/token
 *                           outside the noise) or the pruning energy is unknown
 * @param breakEvenNote      why there is no break-even, when there is none
 * @param note               why a ratio is missing, when one is
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VersusDense(String denseRunId, boolean paired, String comparison, Ratio decodeSpeedup,
                          Ratio decodeEnergyRatio, Double breakEvenTokens, String breakEvenNote, String note) {

    public static final String PAIRED = "paired with dense's repeats in one window";
    public static final String UNPAIRED = "unpaired, conservative: absolute figures of two windows, "
            + "[low / dense high, high / dense low]";
    public static final String ITSELF = "the dense reference itself";

    /** Null when either side lacks the energy stage. */
    public static VersusDense of(ParetoPoint run, ParetoPoint dense) {
        if (dense == null || !run.measured() || !dense.measured()) {
            return null;
        }
        if (run.runId().equals(dense.runId())) {
            Ratio one = new Ratio(1, 1, 1, Ratio.NO_DIFFERENCE); // the same measurement: no noise between them
            return new VersusDense(dense.runId(), true, ITSELF, one, one, null, ITSELF, null);
        }
        boolean paired = dense.runId().equals(run.referenceRunId()) && run.pairedSpeedup() != null
                && run.pairedEnergyRatio() != null;
        List<String> missing = new ArrayList<>();
        Ratio speedup;
        Ratio energy;
        if (paired) {
            speedup = Ratio.measured(run.pairedSpeedup());
            energy = Ratio.measured(run.pairedEnergyRatio());
        } else {
            var tokens = dense.decodeTokensPerSecond();
            var joules = dense.decodeJoulesPerToken();
            speedup = Ratio.of(run.decodeTokensPerSecond(), tokens);
            energy = Ratio.of(run.decodeJoulesPerToken(), joules);
            if (speedup == null) {
                missing.add("speed-up: " + Ratio.problem("decode tokens/s", tokens.median(), tokens.low(), tokens.high()));
            }
            if (energy == null) {
                missing.add("energy ratio: " + Ratio.problem("decode J/token", joules.mean(), joules.low(), joules.high()));
            }
        }
        Double breakEven = null;
        String breakEvenNote = null;
        // Joules saved per token: dense's J/token x (1 - the ratio), with the ratio paired when it can be.
        double saved = energy == null ? Double.NaN : dense.decodeJoulesPerToken().mean() * (1 - energy.estimate());
        if (energy == null) {
            breakEvenNote = "no energy ratio to dense";
        } else if (!"lower".equals(energy.verdict())) {
            breakEvenNote = "decode J/token is not lower than dense's outside the noise (" + energy.verdict()
                    + "): pruning never pays back";
        } else if (run.pruneJoules() == null) {
            breakEvenNote = "the pruner's energy for this run is unknown";
        } else if (!(saved > 0 && Double.isFinite(saved))) {
            breakEvenNote = "dense's decode J/token is not a positive figure: no joules saved per token to count";
        } else {
            breakEven = run.pruneJoules() / saved;
        }
        return new VersusDense(dense.runId(), paired, paired ? PAIRED : UNPAIRED, speedup, energy, breakEven,
                breakEvenNote, missing.isEmpty() ? null : String.join("; ", missing));
    }
}
