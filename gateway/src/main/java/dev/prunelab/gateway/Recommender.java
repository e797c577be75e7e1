package dev.prunelab.gateway;

import dev.prunelab.events.PruneSpec;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The configuration to use under a quality limit, "perplexity at most X above dense":
 * admissible = runs with perplexity ≤ dense × (1 + X); among them the smallest model, then the lowest energy,
 * then the lowest latency, then the lowest perplexity, then the run id (a missing metric sorts last). With
 * unstructured pruning every model has the dense size, so energy decides; structured pruning shrinks the
 * model and wins on size when its quality is admissible.
 */
public final class Recommender {

    public static final String RULE = "perplexity <= dense x (1 + limit); then smallest size, lowest energy, "
            + "lowest latency, lowest perplexity, run id";

    private static final Comparator<ParetoPoint> ORDER = Comparator
            .comparing(ParetoPoint::sizeBytes, Comparator.nullsLast(Comparator.<Long>naturalOrder()))
            .thenComparing(ParetoPoint::energyJoules, Comparator.nullsLast(Comparator.<Double>naturalOrder()))
            .thenComparing(ParetoPoint::latencyMillis, Comparator.nullsLast(Comparator.<Double>naturalOrder()))
            .thenComparing(ParetoPoint::perplexity)
            .thenComparing(ParetoPoint::runId);

    private Recommender() {
    }

    /**
     * @param choice             the recommended run
     * @param perplexityLimit    dense × (1 + limit)
     * @param admissible         the runs within the limit, best first
     */
    public record Recommendation(ParetoPoint choice, double perplexityLimit, List<ParetoPoint> admissible,
                                 String rule) {
    }

    /**
     * @param maxPerplexityIncrease e.g. 0.10 for "at most 10% above dense"
     * @return empty when no run is within the limit
     */
    public static Optional<Recommendation> recommend(Collection<ParetoPoint> candidates, double densePerplexity,
                                                     double maxPerplexityIncrease) {
        if (!(densePerplexity >= 1) || !(maxPerplexityIncrease >= 0)) {
            throw new IllegalArgumentException("dense perplexity " + densePerplexity + " must be >= 1 and the limit "
                    + maxPerplexityIncrease + " >= 0");
        }
        double limit = densePerplexity * (1 + maxPerplexityIncrease);
        List<ParetoPoint> admissible = candidates.stream().filter(p -> p.perplexity() <= limit).sorted(ORDER).toList();
        return admissible.isEmpty() ? Optional.empty()
                : Optional.of(new Recommendation(admissible.get(0), limit, admissible, RULE));
    }

    /**
     * The dense reference among completed runs: a run that pruned nothing (sparsity 0 or structured ratio 0);
     * the lowest perplexity if there are several.
     */
    public static Optional<Double> densePerplexity(Collection<RunResult> runs) {
        return runs.stream()
                .filter(r -> r.request() != null && prunesNothing(r.request().prune()))
                .flatMap(r -> r.point().stream())
                .map(ParetoPoint::perplexity)
                .min(Double::compare);
    }

    static boolean prunesNothing(PruneSpec prune) {
        return prune.method().isStructured() ? prune.structured().ratio() == 0
                : prune.sparsity() != null && prune.sparsity() == 0;
    }
}
