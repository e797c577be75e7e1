package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The structured part of a sweep: targets × ratios × scores. Combinations the pruner refuses (block-influence
 * with a non-block target, blocks with another score) are skipped, not failed, so "mlp,blocks ×
 * flap,block-influence" gives mlp/flap and blocks/block-influence.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record StructuredSweep(List<String> targets, List<Double> ratios, List<String> scores, String allocation,
                              Boolean biasCompensation) {

    public StructuredSweep {
        targets = Check.nonEmpty("targets", targets);
        for (int i = 0; i < targets.size(); i++) {
            Check.oneOf("targets[" + i + "]", targets.get(i), null, StructuredSpec.TARGETS);
        }
        ratios = Check.nonEmpty("ratios", ratios);
        for (int i = 0; i < ratios.size(); i++) {
            Check.fraction("ratios[" + i + "]", ratios.get(i));
        }
        scores = Check.nonEmpty("scores", scores);
        for (int i = 0; i < scores.size(); i++) {
            Check.oneOf("scores[" + i + "]", scores.get(i), null, StructuredSpec.SCORES);
        }
        allocation = Check.oneOf("allocation", allocation, "uniform", StructuredSpec.ALLOCATIONS);
    }
}
