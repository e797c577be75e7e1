package dev.prunelab.gateway;

import dev.prunelab.events.PruneSpec;
import dev.prunelab.vocabulary.NmPattern;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Builds a {@link SweepView} from a sweep's joined runs: status per run, the Pareto front ({@link ParetoFront})
 * over the completed runs with a perplexity, and the recommendation ({@link Recommender}).
 *
 * <p>One run's figures never take the sweep down: a figure that cannot be computed (a ratio to a dense figure that
 * is not positive, an event the code does not expect) is null with a note in that run's view
 * ({@link RunView#notes()}), a front or recommendation that cannot be computed is absent with a note, and every
 * other figure is shown.
 *
 * <p>The recommendation's baseline perplexity, in order of precedence:
 * <ol>
 *   <li>the caller's {@code baselinePerplexity} (e.g. a dense model measured elsewhere);</li>
 *   <li>the sweep's dense run: one that pruned nothing (sparsity 0 or structured ratio 0), as
 *       {@link Recommender#prunesNothing} defines it;</li>
 *   <li>otherwise the completed run that pruned least (lowest sparsity, N:M as (M − N) / M, or structured ratio;
 *       ties to the lower perplexity). The limit is then relative to an already pruned model, which the view's
 *       note says; add sparsity 0 to the sweep for a true dense reference.</li>
 * </ol>
 */
public final class SweepReports {

    public static final String BASELINE_QUERY = "query";
    public static final String BASELINE_DENSE = "dense-run";
    public static final String BASELINE_LEAST_SPARSE = "least-sparse-run";
    public static final double DEFAULT_MAX_PERPLEXITY_INCREASE = Constraints.DEFAULT_MAX_PERPLEXITY_INCREASE;

    private SweepReports() {
    }

    /**
     * @param runs               the sweep's runs, in the order to show them
     * @param cancelled          a cancellation of the sweep was seen
     * @param constraints        what the recommendation must satisfy
     * @param baselinePerplexity the caller's baseline, or null to take it from the sweep
     */
    public static SweepView view(String sweepId, List<RunResult> runs, boolean cancelled, Constraints constraints,
                                 Double baselinePerplexity, Carbon carbon) {
        if (baselinePerplexity != null && !(baselinePerplexity >= 1 && Double.isFinite(baselinePerplexity))) {
            throw new IllegalArgumentException("baselinePerplexity: " + baselinePerplexity
                    + " must be a finite number >= 1");
        }
        Map<String, List<String>> notes = new HashMap<>();
        List<ParetoPoint> points = new ArrayList<>();
        Map<String, ParetoPoint> byRun = new HashMap<>();
        for (RunResult run : runs) {
            try {
                run.point().ifPresent(p -> {
                    points.add(p);
                    byRun.put(run.runId(), p);
                });
            } catch (RuntimeException e) {
                note(notes, run.runId(), "left out of the front and the recommendation: " + e.getMessage());
            }
        }
        Optional<RunResult> denseRun = denseRun(runs);
        ParetoPoint dense = denseRun.map(r -> byRun.get(r.runId())).orElse(null);
        SweepView.Front front;
        try {
            ParetoFront.Front computed = ParetoFront.of(points, dense);
            front = new SweepView.Front(computed.objectives(), computed.points().stream().map(ParetoPoint::runId)
                    .toList(), computed.note());
        } catch (RuntimeException e) {
            front = new SweepView.Front(List.of(), List.of(), "no Pareto front: " + e.getMessage());
        }
        Set<String> onFront = Set.copyOf(front.runIds());
        SweepView.Recommendation recommendation;
        try {
            recommendation = recommend(runs, points, dense, constraints, baselinePerplexity);
        } catch (RuntimeException e) { // the caller's constraints and baseline were checked before
            recommendation = new SweepView.Recommendation(constraints.maxPerplexityIncrease(), constraints, null, null,
                    null, null, List.of(), Recommender.RULE, null, "no recommendation: " + e.getMessage());
        }

        Map<RunStatus, Integer> byStatus = new EnumMap<>(RunStatus.class);
        List<RunView> views = new ArrayList<>();
        for (RunResult run : runs) {
            List<String> known = notes.getOrDefault(run.runId(), List.of());
            RunView view;
            try {
                view = RunView.of(run, onFront.contains(run.runId()), run.runId().equals(recommendation.runId()),
                        dense, carbon, known);
            } catch (RuntimeException e) {
                List<String> all = new ArrayList<>(known);
                all.add("no figures: " + e.getMessage());
                view = RunView.of(bare(run), false, false, null, carbon, all);
            }
            byStatus.merge(view.status(), 1, Integer::sum);
            views.add(view);
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        byStatus.forEach((s, n) -> counts.put(s.id(), n));
        boolean finished = !views.isEmpty() && views.stream().allMatch(v -> v.status().isFinal());
        String status = cancelled ? (finished ? "cancelled" : "cancelling") : finished ? "done" : "running";
        String model = runs.stream().filter(r -> r.request() != null).map(r -> r.request().model().path())
                .findFirst().orElse(null);
        return new SweepView(sweepId, status, finished, cancelled, counts, views, front, recommendation, model,
                denseRun.map(RunResult::runId).orElse(null), carbon);
    }

    private static void note(Map<String, List<String>> notes, String runId, String note) {
        notes.computeIfAbsent(runId, id -> new ArrayList<>()).add(note);
    }

    /** The run's request, progress and failure only: what a view shows when its figures cannot be computed. */
    private static RunResult bare(RunResult run) {
        return new RunResult(run.runId(), run.sweepId(), run.state(), run.request(), run.progress(), null, null,
                run.failure());
    }

    /** The sweep's dense reference: a run that pruned nothing; completed ones first, then the lowest perplexity. */
    public static Optional<RunResult> denseRun(List<RunResult> runs) {
        return runs.stream().filter(r -> r.request() != null && Recommender.prunesNothing(r.request().prune()))
                .min(Comparator.comparing((RunResult r) -> r.point().isEmpty())
                        .thenComparing(r -> r.point().map(ParetoPoint::perplexity).orElse(Double.MAX_VALUE)));
    }

    static SweepView.Recommendation recommend(List<RunResult> runs, List<ParetoPoint> points, ParetoPoint dense,
                                              Constraints constraints, Double given) {
        double maxIncrease = constraints.maxPerplexityIncrease();
        Optional<SweepView.Baseline> baseline = given != null
                ? Optional.of(new SweepView.Baseline(BASELINE_QUERY, null, given)) : baseline(runs);
        if (baseline.isEmpty()) {
            return new SweepView.Recommendation(maxIncrease, constraints, null, null, null, null, List.of(),
                    Recommender.RULE, null, "no completed run with a perplexity yet");
        }
        double reference = baseline.get().perplexity();
        String note = baseline.get().source().equals(BASELINE_LEAST_SPARSE)
                ? "the sweep has no dense run (sparsity 0): the limit is relative to the least pruned run "
                        + baseline.get().runId() + "; add sparsity 0 or pass baselinePerplexity for a dense reference"
                : null;
        var rec = Recommender.recommend(points, dense, reference, constraints);
        if (rec.isEmpty()) {
            double limit = reference * (1 + maxIncrease);
            return new SweepView.Recommendation(maxIncrease, constraints, baseline.get(), limit, null, null, List.of(),
                    Recommender.RULE, null, note != null ? note : points.isEmpty() ? "no completed run with a perplexity yet"
                    : "no completed run satisfies the constraints (perplexity <= " + limit
                            + (constraints.minSpeedup() != null ? ", speed-up >= " + constraints.minSpeedup() : "")
                            + (constraints.maxMemoryMb() != null ? ", peak memory <= " + constraints.maxMemoryMb()
                                    + " MiB" : "") + ")");
        }
        ParetoPoint choice = rec.get().choice();
        return new SweepView.Recommendation(maxIncrease, constraints, baseline.get(), rec.get().perplexityLimit(),
                choice.runId(), choice.label(), rec.get().admissible().stream().map(ParetoPoint::runId).toList(),
                rec.get().rule(), rec.get().reason(), note);
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
        NmPattern nm = NmPattern.parse(NmPattern.FIELD, prune.pattern());
        return (nm.m() - nm.n()) / (double) nm.m();
    }
}
