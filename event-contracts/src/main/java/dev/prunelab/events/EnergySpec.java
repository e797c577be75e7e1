package dev.prunelab.events;

import dev.prunelab.vocabulary.InvalidSetting;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The energy stage's fixed workload (README "Energy"): after an idle baseline and warm-up, each repeat prefills
 * {@code batch} prompts of {@code promptTokens} seeded random tokens, then runs {@code decodeTokens} cached decode
 * steps, inside the host's exclusive measurement window. Absent fields take the defaults, sized for about 10 s
 * of work on stories15M on one core (20 repeats of about 0.6 s).
 *
 * @param promptTokens    P (default 64)
 * @param decodeTokens    N decode steps after the prefill (default 192; P + N is capped by the model's context)
 * @param batch           B (default 1)
 * @param repeats         R recorded repeats, at least 3 (default 20)
 * @param warmups         unrecorded repeats first (default 1)
 * @param baselineSeconds idle baseline sampled right before (default 2)
 * @param referenceRunId  a run whose model is measured in the same window, repeat for repeat interleaved with this
 *                        one (the sweep's dense run): the speed-up and energy ratio against it come from pairs
 *                        measured seconds apart, so the machine's drift between windows cancels (absent: none)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EnergySpec(Integer promptTokens, Integer decodeTokens, Integer batch, Integer repeats, Integer warmups,
                         Double baselineSeconds, String referenceRunId) {

    public static final int MIN_REPEATS = 3;

    public EnergySpec {
        promptTokens = promptTokens == null ? 64 : Check.positiveOrNull("promptTokens", promptTokens);
        decodeTokens = decodeTokens == null ? 192 : Check.positiveOrNull("decodeTokens", decodeTokens);
        batch = batch == null ? 1 : Check.positiveOrNull("batch", batch);
        repeats = repeats == null ? 20 : Check.positiveOrNull("repeats", repeats);
        if (repeats < MIN_REPEATS) {
            throw new InvalidSetting("repeats", repeats + " is below " + MIN_REPEATS
                    + " (an interval needs repeats)");
        }
        warmups = warmups == null ? 1 : warmups;
        if (warmups < 0) {
            throw new InvalidSetting("warmups", warmups + " must not be negative");
        }
        baselineSeconds = baselineSeconds == null ? 2.0 : baselineSeconds;
        if (!(baselineSeconds >= 0 && baselineSeconds <= 60)) {
            throw new InvalidSetting("baselineSeconds", baselineSeconds + " is outside [0, 60]");
        }
        if (referenceRunId != null) {
            Check.id("referenceRunId", referenceRunId, RunRequested.MAX_RUN_ID_LENGTH);
        }
    }

    /** Without a reference run. */
    public EnergySpec(Integer promptTokens, Integer decodeTokens, Integer batch, Integer repeats, Integer warmups,
                      Double baselineSeconds) {
        this(promptTokens, decodeTokens, batch, repeats, warmups, baselineSeconds, null);
    }

    public static EnergySpec defaults() {
        return new EnergySpec(null, null, null, null, null, null, null);
    }

    /** The same workload, measured paired with {@code runId}'s model. */
    public EnergySpec withReference(String runId) {
        return new EnergySpec(promptTokens, decodeTokens, batch, repeats, warmups, baselineSeconds, runId);
    }
}
