package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.vocabulary.EnergyWorkloadDefaults;
import dev.prunelab.vocabulary.InvalidSetting;

/**
 * The energy stage's fixed workload (docs/energy.md "The energy stage"): after an idle baseline and warm-up, each repeat prefills
 * {@code batch} prompts of {@code promptTokens} seeded random tokens, then runs {@code decodeTokens} cached decode
 * steps, inside the host's exclusive measurement window. Absent fields take {@link EnergyWorkloadDefaults}.
 *
 * @param promptTokens    P
 * @param decodeTokens    N decode steps after the prefill (P + N is capped by the model's context)
 * @param batch           B
 * @param repeats         R recorded repeats, at least {@value EnergyWorkloadDefaults#MIN_REPEATS}
 * @param warmups         unrecorded repeats first
 * @param baselineSeconds idle baseline sampled right before
 * @param referenceRunId  a run whose model is measured in the same window, repeat for repeat interleaved with this
 *                        one (the sweep's dense run): the speed-up and energy ratio against it come from pairs
 *                        measured seconds apart, so the machine's drift between windows cancels (absent: none)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EnergySpec(Integer promptTokens, Integer decodeTokens, Integer batch, Integer repeats, Integer warmups,
                         Double baselineSeconds, String referenceRunId) {

    public EnergySpec {
        promptTokens = promptTokens == null ? EnergyWorkloadDefaults.PROMPT_TOKENS
                : Check.positiveOrNull("promptTokens", promptTokens);
        decodeTokens = decodeTokens == null ? EnergyWorkloadDefaults.DECODE_TOKENS
                : Check.positiveOrNull("decodeTokens", decodeTokens);
        batch = batch == null ? EnergyWorkloadDefaults.BATCH : Check.positiveOrNull("batch", batch);
        repeats = repeats == null ? EnergyWorkloadDefaults.REPEATS : Check.positiveOrNull("repeats", repeats);
        if (repeats < EnergyWorkloadDefaults.MIN_REPEATS) {
            throw new InvalidSetting("repeats", repeats + " is below " + EnergyWorkloadDefaults.MIN_REPEATS
                    + " (an interval needs repeats)");
        }
        warmups = warmups == null ? EnergyWorkloadDefaults.WARMUPS : warmups;
        if (warmups < 0) {
            throw new InvalidSetting("warmups", warmups + " must not be negative");
        }
        baselineSeconds = baselineSeconds == null ? EnergyWorkloadDefaults.BASELINE_SECONDS : baselineSeconds;
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
