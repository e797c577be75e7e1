package dev.prunelab.gateway;

import dev.prunelab.events.NmPattern;
import dev.prunelab.events.PruneSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Builds a {@link SweepView} from a sweep's joined runs: status per run, the Pareto front ({@link ParetoFront})
 * over the completed runs with a perplexity, and the recommendation ({@link Recommender}).
 *
 * <p>The recommendation's baseline perplexity, in order of precedence:
 * <ol>
 *   <li>the caller's {@code baselinePerplexity} (e.g. a dense model measured elsewhere);</li>
 *   <li>the sweep's dense run: one that pruned nothing (sparsity 0 or structured ratio 0), as
 *       {@link Recommender#densePerplexity} defines it;</li>
 *   <li>otherwise the completed run that pruned least (lowest sparsity, N:M as (M − N) / M, or structured ratio;
 *       ties to the lower perplexity). The limit is then relative to an already pruned model, which the view's
 *       note says; add sparsity 0 to the sweep for a true dense reference.</li>
 * </ol>
 */
public final class SweepReports {

    public static final String BASELINE_QUERY = "query";
    public static final String BASELINE_DENSE = "dense-run";
    public static final String BASELINE_LEAST_SPARSE = "least-sparse-run";
    public static final double DEFAULT_MAX_PERPLEXITY_INCREASE = 0.10;

    private SweepReports() {
    }

    /**
     * @param runs                  the sweep's runs, in the order to show them
     * @param cancelled             a cancellation of the sweep was seen
     * @param maxPerplexityIncrease e.g. 0.10 for "at most 10% above the baseline"
     * @param baselinePerplexity    the caller's baseline, or null to take it from the sweep
     */
    public static SweepView view(String sweepId, List<RunResult> runs, boolean cancelled, double maxPerplexityIncrease,
                                 Double baselinePerplexity) {
        if (!(maxPerplexityIncrease >= 0) || Double.isInfinite(maxPerplexityIncrease)) {
            throw new IllegalArgumentException("maxPerplexityIncrease: " + maxPerplexityIncrease
                    + " must be a finite number >= 0");
        }
        if (baselinePerplexity != null && !(baselinePerplexity >= 1 && Double.isFinite(baselinePerplexity))) {
            throw new IllegalArgumentException("baselinePerplexity: " + baselinePerplexity
                    + " must be a finite number >= 1");
        }
        List<ParetoPoint> points = runs.stream().flatMap(r -> r.point().stream()).toList();
        ParetoFront.Front front = ParetoFront.of(points);
        Set<String> onFront = front.points().stream().map(ParetoPoint::runId).collect(Collectors.toSet());
        SweepView.Recommendation recommendation = recommend(runs, points, maxPerplexityIncrease, baselinePerplexity);

        Map<RunStatus, Integer> byStatus = new EnumMap<>(RunStatus.class);
        List<RunView> views = new ArrayList<>();
        for (RunResult run : runs) {
            RunView view = RunView.of(run, onFront.contains(run.runId()), run.runId().equals(recommendation.runId()));
            byStatus.merge(view.status(), 1, Integer::sum);
            views.add(view);
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        byStatus.forEach((s, n) -> counts.put(s.id(), n));
        boolean finished = !views.isEmpty() && views.stream().allMatch(v -> v.status().isFinal());
        String status = cancelled ? (finished ? "cancelled" : "cancelling") : finished ? "done" : "running";
        return new SweepView(sweepId, status, finished, cancelled, counts, views,
                new SweepView.Front(front.objectives(), front.points().stream().map(ParetoPoint::runId).toList()),
                recommendation);
    }

    static SweepView.Recommendation recommend(List<RunResult> runs, List<ParetoPoint> points, double maxIncrease,
                                              Double given) {
        Optional<SweepView.Baseline> baseline = given != null
                ? Optional.of(new SweepView.Baseline(BASELINE_QUERY, null, given)) : baseline(runs);
        if (baseline.isEmpty()) {
            return new SweepView.Recommendation(maxIncrease, null, null, null, null, List.of(), Recommender.RULE,
                    "no completed run with a perplexity yet");
        }
        double reference = baseline.get().perplexity();
        String note = baseline.get().source().equals(BASELINE_LEAST_SPARSE)
                ? "the sweep has no dense run (sparsity 0): the limit is relative to the least pruned run "
                        + baseline.get().runId() + "; add sparsity 0 or pass baselinePerplexity for a dense reference"
                : null;
        // Recommender wants a baseline >= 1; every perplexity is, so only a caller's value could fail (checked above).
        var rec = Recommender.recommend(points, reference, maxIncrease);
        if (rec.isEmpty()) {
            double limit = reference * (1 + maxIncrease);
            return new SweepView.Recommendation(maxIncrease, baseline.get(), limit, null, null, List.of(),
                    Recommender.RULE, note != null ? note : points.isEmpty() ? "no completed run with a perplexity yet"
                    : "no completed run has perplexity <= " + limit);
        }
        ParetoPoint choice = rec.get().choice();
        return new SweepView.Recommendation(maxIncrease, baseline.get(), rec.get().perplexityLimit(), choice.runId(),
                choice.label(), rec.get().admissible().stream().map(ParetoPoint::runId).toList(), rec.get().rule(),
                note);
    }

    /** The sweep's own reference: its dense run, else its least pruned completed run. */
    static Optional<SweepView.Baseline> baseline(List<RunResult> runs) {
        Comparator<RunResult> byPerplexity = Comparator.comparing(r -> r.point().orElseThrow().perplexity());
        List<RunResult> completed = runs.stream()
                .filter(r -> r.request() != null && r.point().isPresent()).toList();
        Optional<RunResult> dense = completed.stream()
                .filter(r -> Recommender.prunesNothing(r.request().prune())).min(byPerplexity);
        if (dense.isPresent()) {
            return Optional.of(new SweepView.Baseline(BASELINE_DENSE, dense.get().runId(),
                    dense.get().point().orElseThrow().perplexity()));
        }
        return completed.stream()
                .min(Comparator.comparingDouble((RunResult r) -> prunedFraction(r.request().prune()))
                        .thenComparing(byPerplexity))
                .map(r -> new SweepView.Baseline(BASELINE_LEAST_SPARSE, r.runId(), r.point().orElseThrow().perplexity()));
    }

    /** The fraction a configuration removes: sparsity, (M − N) / M for N:M, or the structured ratio. */
    static double prunedFraction(PruneSpec prune) {
        if (prune.method().isStructured()) {
            return prune.structured().ratio();
        }
        if (prune.sparsity() != null) {
            return prune.sparsity();
        }
        NmPattern nm = NmPattern.parse("pattern", prune.pattern());
        return (nm.m() - nm.n()) / (double) nm.m();
    }
}
