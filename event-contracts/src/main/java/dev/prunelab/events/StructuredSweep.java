package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.vocabulary.PruneRules;
import dev.prunelab.vocabulary.StructuredAllocation;
import dev.prunelab.vocabulary.StructuredScore;
import dev.prunelab.vocabulary.StructuredTarget;
import java.util.List;

/**
 * The structured part of a sweep: targets × ratios × scores. Combinations the pruner refuses (block-influence
 * with a non-block target, blocks with another score) are skipped, not failed, so "mlp,blocks ×
 * flap,block-influence" gives mlp/flap and blocks/block-influence.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StructuredSweep(List<StructuredTarget> targets, List<Double> ratios, List<StructuredScore> scores,
                              StructuredAllocation allocation, Boolean biasCompensation) {

    public StructuredSweep {
        targets = Check.nonEmpty("targets", targets);
        ratios = Check.nonEmpty("ratios", ratios);
        for (int i = 0; i < ratios.size(); i++) {
            PruneRules.fraction("ratios[" + i + "]", ratios.get(i));
        }
        scores = Check.nonEmpty("scores", scores);
        allocation = allocation == null ? StructuredAllocation.UNIFORM : allocation;
    }
}
