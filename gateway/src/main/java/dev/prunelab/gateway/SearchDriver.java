package dev.prunelab.gateway;

import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SearchRequest;
import dev.prunelab.events.SearchRequested;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One step of a budgeted search (docs/search.md): from the request, what its runs' events say and the clock, the
 * search's state and the run requests to publish next. It holds nothing between steps, so a gateway that restarts
 * and replays the topics takes the same step again; runs already published have the same ids and are not proposed
 * twice.
 *
 * <p><b>The policy</b> is two-rung successive halving:
 * <ol>
 *   <li>the dense reference (full evaluation) and every candidate's <i>screen</i> (prune + perplexity on the
 *       first {@code screenWindows} windows, no speed or energy stage), at most {@code parallel} runs in flight;</li>
 *   <li>once every screen is final, one candidate in {@code keepOneIn} is promoted, by Pareto layers on (screened
 *       perplexity, exported bytes): bytes stand in for decode cost, which a CPU's memory-bound decode follows
 *       and which the screen does not measure. Candidates above the screening limits ({@code maxPerplexityIncrease}
 *       over the dense screen, {@code maxMemoryMb}) are not promoted;</li>
 *   <li>the promoted candidates run with the full evaluation in promotion order, until {@code patience} of them in a
 *       row did not join the front (perplexity, decode energy ratio to dense, or bytes without an energy stage), the
 *       run budget or the time budget is spent, or the search is cancelled.</li>
 * </ol>
 */
public final class SearchDriver {

    /** The hypervolume's default reference: 4 × the dense perplexity, the dense decode energy (ratio 1). */
    public static final double DEFAULT_REFERENCE_PERPLEXITY_RATIO = 4.0;

    private SearchDriver() {
    }

    /** The state after this step and the runs to publish now (none once the search is stopping). */
    public record Step(SearchView view, List<RunRequested> toPublish) {
    }

    /**
     * @param runs      a run's joined events by run id (empty for a run never published)
     * @param cancelled the search (its sweep) was cancelled
     */
    public static Step step(SearchRequested requested, Function<String, Optional<RunResult>> runs, boolean cancelled,
                            Instant now) {
        SearchRequest search = requested.search();
        Instant t0 = requested.occurredAt();
        RunRequested dense = search.denseRun(t0);
        RunRequested denseScreen = search.screenRun(search.dense(), t0);
        List<PruneSpec> prunes = search.candidates();
        List<Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < prunes.size(); i++) {
            PruneSpec prune = prunes.get(i);
            candidates.add(new Candidate(i, prune, search.screenRun(prune, t0), search.fullRun(prune, t0)));
        }
        Map<String, RunResult> known = new LinkedHashMap<>();
        List<RunRequested> all = new ArrayList<>(List.of(dense, denseScreen));
        candidates.forEach(c -> all.add(c.screen));
        candidates.forEach(c -> all.add(c.full));
        for (RunRequested run : all) {
            runs.apply(run.runId()).filter(r -> r.request() != null).ifPresent(r -> known.put(run.runId(), r));
        }
        int published = known.size();
        int inFlight = (int) known.values().stream().filter(r -> !r.state().isFinal()).count();

        List<RunRequested> screens = new ArrayList<>(List.of(dense, denseScreen));
        candidates.forEach(c -> screens.add(c.screen));
        boolean screened = screens.stream().allMatch(r -> isFinal(known, r));
        Double denseScreenPerplexity = point(known, denseScreen).map(ParetoPoint::perplexity).orElse(null);
        List<Candidate> promoted = screened ? promote(search, candidates, known, denseScreenPerplexity) : List.of();

        Optional<ParetoPoint> densePoint = point(known, dense);
        FrontWalk walk = walk(densePoint, promoted, known);

        List<RunRequested> order = new ArrayList<>(screens);
        promoted.forEach(c -> order.add(c.full));
        // The reasons the results give come first, so a finished search keeps its reason as the clock runs on.
        String stop = null;
        if (cancelled) {
            stop = "cancelled";
        } else if (walk.unchangedInARow >= search.patience()) {
            stop = "front stable: the last " + walk.unchangedInARow + " full runs did not join it";
        } else if (screened && order.stream().allMatch(r -> isFinal(known, r))) {
            stop = "every promoted candidate ran";
        } else if (search.maxRuns() != null && published >= search.maxRuns()) {
            stop = "run budget spent (" + search.maxRuns() + " runs)";
        } else if (search.maxMinutes() != null && !now.isBefore(t0.plus(Duration.ofMinutes(search.maxMinutes())))) {
            stop = "time budget spent (" + search.maxMinutes() + " min)";
        }
        List<RunRequested> toPublish = new ArrayList<>();
        if (stop == null) {
            for (RunRequested run : order) {
                if (inFlight + toPublish.size() >= search.parallel()
                        || (search.maxRuns() != null && published + toPublish.size() >= search.maxRuns())) {
                    break;
                }
                if (!known.containsKey(run.runId())) {
                    toPublish.add(run);
                }
            }
        }
        String status = inFlight > 0 || !toPublish.isEmpty() ? (stop == null ? "running" : "stopping")
                : cancelled ? "cancelled" : stop != null ? "done" : "running";

        List<SearchView.CandidateView> views = new ArrayList<>();
        for (Candidate c : candidates) {
            Optional<ParetoPoint> screen = point(known, c.screen);
            boolean full = promoted.contains(c);
            views.add(new SearchView.CandidateView(c.prune.label(), c.screen.runId(), state(known, c.screen),
                    screen.map(ParetoPoint::perplexity).orElse(null), screen.map(ParetoPoint::sizeBytes).orElse(null),
                    c.paretoLayer, full, full ? c.full.runId() : null, full ? state(known, c.full) : null,
                    point(known, c.full).map(ParetoPoint::perplexity).orElse(null)));
        }
        int fullDone = (int) promoted.stream().filter(c -> isFinal(known, c.full)).count();
        SearchView.Counts counts = new SearchView.Counts(candidates.size(),
                (int) candidates.stream().filter(c -> isFinal(known, c.screen)).count(), promoted.size(), fullDone,
                published, inFlight);
        Double hypervolume = densePoint.map(d -> Hypervolume.of(walk.front, d, DEFAULT_REFERENCE_PERPLEXITY_RATIO))
                .orElse(null);
        SearchView view = new SearchView(search.searchId(), status, stop, search.model().path(), dense.runId(),
                search.screenSweepId(), t0, search.maxMinutes() == null ? null
                : t0.plus(Duration.ofMinutes(search.maxMinutes())), search.maxRuns(), counts,
                walk.front.stream().map(ParetoPoint::runId).toList(), walk.objective, hypervolume, views);
        return new Step(view, List.copyOf(toPublish));
    }

    /**
     * The candidates to run in full: Pareto layers on (screened perplexity, bytes), lower perplexity first within a
     * layer, then the space's order; one in {@code keepOneIn} of all candidates (rounded up).
     */
    static List<Candidate> promote(SearchRequest search, List<Candidate> candidates, Map<String, RunResult> known,
                                   Double denseScreenPerplexity) {
        List<Candidate> eligible = new ArrayList<>();
        for (Candidate c : candidates) {
            Optional<ParetoPoint> screen = point(known, c.screen);
            if (screen.isEmpty() || screen.get().sizeBytes() == null) {
                continue;
            }
            double perplexity = screen.get().perplexity();
            if (search.maxPerplexityIncrease() != null && denseScreenPerplexity != null
                    && perplexity > denseScreenPerplexity * (1 + search.maxPerplexityIncrease())) {
                continue;
            }
            Long peak = screen.get().peakRssBytes();
            if (search.maxMemoryMb() != null && peak != null && peak > search.maxMemoryMb() * 1024 * 1024) {
                continue;
            }
            c.perplexity = perplexity;
            c.bytes = screen.get().sizeBytes();
            eligible.add(c);
        }
        List<Candidate> remaining = new ArrayList<>(eligible);
        int layer = 0;
        while (!remaining.isEmpty()) {
            List<Candidate> front = new ArrayList<>();
            for (Candidate c : remaining) {
                if (remaining.stream().noneMatch(o -> o != c && dominates(o, c))) {
                    front.add(c);
                }
            }
            for (Candidate c : front) {
                c.paretoLayer = layer;
            }
            remaining.removeAll(front);
            layer++;
        }
        int quota = (candidates.size() + search.keepOneIn() - 1) / search.keepOneIn();
        return eligible.stream()
                .sorted(Comparator.comparingInt((Candidate c) -> c.paretoLayer)
                        .thenComparingDouble(c -> c.perplexity).thenComparingInt(c -> c.index))
                .limit(quota).toList();
    }

    private static boolean dominates(Candidate a, Candidate b) {
        return a.perplexity <= b.perplexity && a.bytes <= b.bytes && (a.perplexity < b.perplexity || a.bytes < b.bytes);
    }

    private record FrontWalk(List<ParetoPoint> front, String objective, int unchangedInARow) {
    }

    /**
     * The full runs in promotion order, as far as every one is final: the front over them and the dense run, and
     * how many of the last ones in a row did not join it when they arrived (a failed run joins nothing).
     */
    private static FrontWalk walk(Optional<ParetoPoint> dense, List<Candidate> promoted, Map<String, RunResult> known) {
        List<ParetoPoint> front = new ArrayList<>();
        dense.ifPresent(front::add);
        boolean energy = dense.map(d -> d.pairedEnergyRatio() != null).orElse(false);
        int unchanged = 0;
        for (Candidate c : promoted) {
            if (!isFinal(known, c.full)) {
                break;
            }
            Optional<ParetoPoint> p = point(known, c.full);
            if (p.isEmpty() || (energy && p.get().pairedEnergyRatio() == null)
                    || front.stream().anyMatch(f -> Hypervolume.weaklyDominates(f, p.get(), energy))) {
                unchanged++;
                continue;
            }
            front.removeIf(f -> Hypervolume.weaklyDominates(p.get(), f, energy));
            front.add(p.get());
            unchanged = 0;
        }
        front.sort(Comparator.comparingDouble(ParetoPoint::perplexity));
        return new FrontWalk(List.copyOf(front), energy ? "perplexity, decodeEnergyRatio" : "perplexity, sizeBytes",
                unchanged);
    }

    private static boolean isFinal(Map<String, RunResult> known, RunRequested run) {
        RunResult r = known.get(run.runId());
        return r != null && r.state().isFinal();
    }

    private static String state(Map<String, RunResult> known, RunRequested run) {
        RunResult r = known.get(run.runId());
        return r == null ? "proposed" : r.state().name().toLowerCase(java.util.Locale.ROOT);
    }

    private static Optional<ParetoPoint> point(Map<String, RunResult> known, RunRequested run) {
        RunResult r = known.get(run.runId());
        return r == null ? Optional.empty() : r.point();
    }

    /** A point of the space with its two runs; the screen's figures are set when promotion ranks it. */
    static final class Candidate {
        final int index;
        final PruneSpec prune;
        final RunRequested screen;
        final RunRequested full;
        double perplexity;
        long bytes;
        Integer paretoLayer;

        Candidate(int index, PruneSpec prune, RunRequested screen, RunRequested full) {
            this.index = index;
            this.prune = prune;
            this.screen = screen;
            this.full = full;
        }
    }
}
