package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.PruneRules;
import dev.prunelab.vocabulary.StructuredAllocation;
import dev.prunelab.vocabulary.StructuredRules;
import dev.prunelab.vocabulary.StructuredScore;
import dev.prunelab.vocabulary.StructuredTarget;
import java.util.List;

/**
 * Structured pruning (docs/structured-pruning.md): remove {@code ratio} of each {@code target} structure,
 * ranked by {@code score}. The combinations the pruner refuses are refused here, before any work.
 *
 * @param target           mlp|heads|blocks|mlp+heads
 * @param ratio            fraction of each targeted structure removed, in [0, 1)
 * @param score            magnitude|wanda-sp|flap|block-influence; block-influence only (and always) for blocks
 * @param allocation       uniform (default) or global; not for blocks
 * @param biasCompensation FLAP's bias compensation; default true
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StructuredSpec(StructuredTarget target, Double ratio, StructuredScore score,
                             StructuredAllocation allocation, Boolean biasCompensation) {

    public StructuredSpec {
        Check.present("target", target);
        PruneRules.fraction("ratio", ratio);
        Check.present("score", score);
        allocation = allocation == null ? StructuredAllocation.UNIFORM : allocation;
        // FLAP compensates by default; the other scores have no bias compensation to turn off.
        biasCompensation = biasCompensation == null ? score == StructuredScore.FLAP : biasCompensation;
        InvalidSetting refusal = StructuredRules.refusal(target, score, allocation, biasCompensation);
        if (refusal != null) {
            throw refusal;
        }
    }
}
