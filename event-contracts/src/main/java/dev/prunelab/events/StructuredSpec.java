package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Structured pruning (README "Structured pruning"): remove {@code ratio} of each {@code target} structure,
 * ranked by {@code score}. The combinations the pruner refuses are refused here, before any work.
 *
 * @param target           mlp|heads|blocks|mlp+heads
 * @param ratio            fraction of each targeted structure removed, in [0, 1)
 * @param score            magnitude|wanda-sp|flap|block-influence; block-influence only (and always) for blocks
 * @param allocation       uniform (default) or global; not for blocks
 * @param biasCompensation FLAP's bias compensation; default true
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record StructuredSpec(String target, Double ratio, String score, String allocation, Boolean biasCompensation) {

    public static final List<String> TARGETS = List.of("mlp", "heads", "blocks", "mlp+heads");
    public static final List<String> SCORES = List.of("magnitude", "wanda-sp", "flap", "block-influence");
    public static final List<String> ALLOCATIONS = List.of("uniform", "global");

    public StructuredSpec {
        Check.text("target", target);
        target = Check.oneOf("target", target, null, TARGETS);
        Check.fraction("ratio", ratio);
        Check.text("score", score);
        score = Check.oneOf("score", score, null, SCORES);
        allocation = Check.oneOf("allocation", allocation, "uniform", ALLOCATIONS);
        biasCompensation = biasCompensation == null || biasCompensation;
        EventValidationException refusal = refusal(target, score, allocation);
        if (refusal != null) {
            throw refusal;
        }
    }

    /** Why the pruner refuses this combination, or null when it is valid. */
    static EventValidationException refusal(String target, String score, String allocation) {
        boolean blocks = target.equals("blocks");
        boolean influence = score.equals("block-influence");
        if (influence && !blocks) {
            return new EventValidationException("score",
                    "block-influence ranks whole blocks; it needs target blocks, not " + target);
        }
        if (blocks && !influence) {
            return new EventValidationException("score",
                    score + " cannot rank blocks; target blocks needs score block-influence");
        }
        if (blocks && allocation.equals("global")) {
            return new EventValidationException("allocation", "global is not available for target blocks");
        }
        return null;
    }
}
