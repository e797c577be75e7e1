package dev.prunelab.gateway;

import java.util.List;
import java.util.function.Function;

/**
 * A run on the four axes the front compares, all lower-is-better; null where the run lacks the metric.
 *
 * @param label e.g. "wanda 0.5"
 */
public record ParetoPoint(String runId, String label, Double perplexity, Long sizeBytes, Double latencyMillis,
                          Double energyJoules) {

    public ParetoPoint {
        if (runId == null || perplexity == null) {
            throw new IllegalArgumentException("a Pareto point needs a run id and a perplexity, got " + runId
                    + " / " + perplexity);
        }
    }

    /** The axes by name, in the order they are reported. */
    public static final List<String> OBJECTIVES = List.of("perplexity", "sizeBytes", "latencyMillis", "energyJoules");

    static Function<ParetoPoint, Double> objective(String name) {
        return switch (name) {
            case "perplexity" -> ParetoPoint::perplexity;
            case "sizeBytes" -> p -> p.sizeBytes() == null ? null : p.sizeBytes().doubleValue();
            case "latencyMillis" -> ParetoPoint::latencyMillis;
            case "energyJoules" -> ParetoPoint::energyJoules;
            default -> throw new IllegalArgumentException("unknown objective " + name);
        };
    }
}
