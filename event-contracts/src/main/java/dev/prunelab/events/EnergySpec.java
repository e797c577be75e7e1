package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record EnergySpec(Integer promptTokens, Integer decodeTokens, Integer batch, Integer repeats, Integer warmups,
                         Double baselineSeconds) {

    public static final int MIN_REPEATS = 3;

    public EnergySpec {
        promptTokens = promptTokens == null ? 64 : Check.positiveOrNull("promptTokens", promptTokens);
        decodeTokens = decodeTokens == null ? 192 : Check.positiveOrNull("decodeTokens", decodeTokens);
        batch = batch == null ? 1 : Check.positiveOrNull("batch", batch);
        repeats = repeats == null ? 20 : Check.positiveOrNull("repeats", repeats);
        if (repeats < MIN_REPEATS) {
            throw new EventValidationException("repeats", repeats + " is below " + MIN_REPEATS
                    + " (an interval needs repeats)");
        }
        warmups = warmups == null ? 1 : warmups;
        if (warmups < 0) {
            throw new EventValidationException("warmups", warmups + " must not be negative");
        }
        baselineSeconds = baselineSeconds == null ? 2.0 : baselineSeconds;
        if (!(baselineSeconds >= 0 && baselineSeconds <= 60)) {
            throw new EventValidationException("baselineSeconds", baselineSeconds + " is outside [0, 60]");
        }
    }

    public static EnergySpec defaults() {
        return new EnergySpec(null, null, null, null, null, null);
    }
}
