package dev.prunelab.gateway;

import static dev.prunelab.gateway.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.Event;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SearchRequest;
import dev.prunelab.events.SearchRequested;
import dev.prunelab.events.SweepCancelled;
import dev.prunelab.vocabulary.PruneMethod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The search's policy against a simulated pipeline that finishes every published run before the next step: what it
 * proposes, in which order, what it promotes, when it stops, and that a replayed state proposes nothing twice.
 */
class SearchDriverTest {

    private static final long FLOAT_BYTES = 60_000_000L;
    private static final long INT4_BYTES = 10_000_000L;

    /** wanda, magnitude × 0.5, 0.7 × float, int4 (and dense int4): nine candidates, three promoted. */
    private static SearchRequest search(Integer maxRuns, Integer maxMinutes, Double maxIncrease, Integer patience) {
        return new SearchRequest("s1", new ModelRef("m.bin", null), null, null,
                List.of(PruneMethod.WANDA, PruneMethod.MAGNITUDE), List.of(0.5, 0.7), null, null, null,
                List.of(32, 4), null, null, maxIncrease, null, null, maxRuns, maxMinutes, 2, null, 3, patience);
    }

    /** The "true" perplexity of a configuration: int4 costs 10%, the screen reads it as it is. */
    private static double perplexity(PruneSpec prune) {
        double base = prune.sparsity() == 0.0 ? 5.5 : prune.method() == PruneMethod.WANDA
                ? (prune.sparsity() == 0.5 ? 12 : 100) : (prune.sparsity() == 0.5 ? 20 : 300);
        return prune.weightBits() == null ? base : base * 1.1;
    }

    /** Completes a run as the pruner and evaluator would: full runs with an energy stage paired with dense. */
    private static List<Event> finish(RunRequested run, String denseRunId) {
        long bytes = run.prune().weightBits() == null ? FLOAT_BYTES : INT4_BYTES;
        boolean full = run.evaluation().energy() != null || run.runId().equals(denseRunId);
        ModelEvaluated evaluated = Fixtures.evaluated(run.runId(), perplexity(run.prune()), bytes, 1.0, 0.01, 100,
                1, 300_000_000L);
        if (!full) {
            evaluated = Fixtures.evaluated(run.runId(), perplexity(run.prune()), bytes, null, 0, 100, 1, 300_000_000L);
        } else if (!run.runId().equals(denseRunId)) {
            double ratio = run.prune().weightBits() == null ? 1.0 : 0.5;
            evaluated = Fixtures.pairedWith(evaluated, denseRunId, ratio, 0.01, 1 / ratio, 0.01);
        }
        return List.of(Fixtures.pruned(run.runId(), run.prune(), bytes, null), evaluated);
    }

    /** The full search with an energy stage, so the front is perplexity against the energy ratio. */
    private static SearchRequested requested(SearchRequest search) {
        var energy = new dev.prunelab.events.EnergySpec(null, null, null, null, null, null, null);
        SearchRequest withEnergy = new SearchRequest(search.searchId(), search.model(), null,
                new dev.prunelab.events.EvaluationSpec(null, null, null, energy, null, null), search.methods(),
                search.sparsities(), null, null, null, search.weightBits(), null, null, search.maxPerplexityIncrease(),
                null, null, search.maxRuns(), search.maxMinutes(), search.parallel(), null, search.keepOneIn(),
                search.patience());
        return new SearchRequested(withEnergy, T0);
    }

    /** Steps, publishes and finishes everything published, until a step proposes nothing; the publication log. */
    private static List<List<RunRequested>> drive(SearchRequested requested, RunJoin join, List<Event> log) {
        List<List<RunRequested>> rounds = new ArrayList<>();
        String dense = requested.search().denseRun(T0).runId();
        for (int i = 0; i < 100; i++) {
            var step = SearchDriver.step(requested, join::get, false, T0.plusSeconds(i));
            if (step.toPublish().isEmpty()) {
                return rounds;
            }
            rounds.add(step.toPublish());
            for (RunRequested run : step.toPublish()) {
                join.accept(run);
                log.add(run);
            }
            for (RunRequested run : step.toPublish()) {
                for (Event e : finish(run, dense)) {
                    join.accept(e);
                    log.add(e);
                }
            }
        }
        throw new AssertionError("the search did not end");
    }

    @Test
    void screensEveryCandidateThenRunsTheBestThirdInFullAtMostParallelAtOnce() {
        SearchRequested requested = requested(search(null, 30, null, null));
        RunJoin join = new RunJoin(Duration.ofHours(1));
        List<List<RunRequested>> rounds = drive(requested, join, new ArrayList<>());

        assertTrue(rounds.stream().allMatch(r -> r.size() <= 2), "never more than parallel=2 in flight");
        assertEquals(List.of(requested.search().denseRun(T0).runId(),
                requested.search().screenRun(requested.search().dense(), T0).runId()),
                rounds.get(0).stream().map(RunRequested::runId).toList(), "dense and its screen first");
        List<RunRequested> all = rounds.stream().flatMap(List::stream).toList();
        List<RunRequested> screens = all.stream().filter(r -> r.sweepId().equals("s1-screen")).toList();
        List<RunRequested> full = all.stream().filter(r -> r.sweepId().equals("s1")).toList();
        assertEquals(10, screens.size(), "nine candidates and dense screened");
        assertTrue(screens.stream().allMatch(r -> r.evaluation().perplexity().maxWindows() == 16
                && r.evaluation().energy() == null && r.evaluation().latency() == null));
        int lastScreen = all.indexOf(screens.get(screens.size() - 1));
        assertTrue(all.subList(lastScreen, all.size()).containsAll(full.subList(1, full.size())),
                "no candidate runs in full before every screen is final");
        // Pareto layers on (screened perplexity, bytes): dense w4 alone, then wanda 0.5 float and w4
        assertEquals(List.of("dense", "dense w4", "wanda 0.5", "wanda 0.5 w4"),
                full.stream().map(r -> r.prune().label()).toList());
        assertTrue(full.stream().skip(1).allMatch(r -> r.evaluation().energy().referenceRunId()
                .equals(requested.search().denseRun(T0).runId())), "every full run pairs its energy with dense");

        SearchView view = SearchDriver.step(requested, join::get, false, T0.plusSeconds(200)).view();
        assertEquals("done", view.status());
        assertEquals("every promoted candidate ran", view.stopReason());
        assertEquals(new SearchView.Counts(9, 9, 3, 3, 14, 0), view.counts());
        assertEquals("every promoted candidate ran", SearchDriver.step(requested, join::get, false,
                T0.plus(Duration.ofDays(1))).view().stopReason(), "a finished search keeps its reason past the deadline");
        // dense (5.5, 1.0) and dense w4 (6.05, 0.5) make the front; wanda 0.5 w4 (13.2, 0.5) is dominated
        assertEquals(2, view.front().size());
        assertEquals((4 - 6.05 / 5.5) * 0.5, view.hypervolume(), 1e-9);
        assertEquals(0, view.candidates().stream().filter(c -> c.label().equals("dense w4")).findFirst()
                .orElseThrow().paretoLayer());
    }

    @Test
    void stopsWhenTheFrontStopsMovingAndSaysWhy() {
        SearchRequested requested = requested(search(null, null, null, 1));
        RunJoin join = new RunJoin(Duration.ofHours(1));
        List<RunRequested> all = drive(requested, join, new ArrayList<>()).stream().flatMap(List::stream).toList();
        // dense w4 joined the front, wanda 0.5 (float, ratio 1) did not: patience 1 is spent before wanda 0.5 w4;
        // both were proposed together (parallel 2), so only the third is saved
        assertEquals(13, all.size());
        SearchView view = SearchDriver.step(requested, join::get, false, T0.plusSeconds(200)).view();
        assertEquals("done", view.status());
        assertTrue(view.stopReason().startsWith("front stable"), view.stopReason());
    }

    @Test
    void theRunBudgetCountsScreensAndStopsTheSearch() {
        SearchRequested requested = requested(search(12, null, null, null));
        RunJoin join = new RunJoin(Duration.ofHours(1));
        List<RunRequested> all = drive(requested, join, new ArrayList<>()).stream().flatMap(List::stream).toList();
        assertEquals(12, all.size(), "dense, ten screens and one full run");
        SearchView view = SearchDriver.step(requested, join::get, false, T0.plusSeconds(200)).view();
        assertEquals("run budget spent (12 runs)", view.stopReason());
        assertEquals("done", view.status());
    }

    @Test
    void aScreeningLimitKeepsCandidatesAboveItFromFullRuns() {
        SearchRequested requested = requested(search(null, null, 0.5, null)); // at most 8.25 on the screen
        RunJoin join = new RunJoin(Duration.ofHours(1));
        List<RunRequested> full = drive(requested, join, new ArrayList<>()).stream().flatMap(List::stream)
                .filter(r -> r.sweepId().equals("s1")).toList();
        assertEquals(List.of("dense", "dense w4"), full.stream().map(r -> r.prune().label()).toList());
    }

    @Test
    void theTimeBudgetAndACancellationStopProposals() {
        SearchRequested requested = requested(search(null, 30, null, null));
        RunJoin join = new RunJoin(Duration.ofHours(1));
        var late = SearchDriver.step(requested, join::get, false, T0.plus(Duration.ofMinutes(30)));
        assertTrue(late.toPublish().isEmpty());
        assertEquals("time budget spent (30 min)", late.view().stopReason());
        assertEquals(T0.plus(Duration.ofMinutes(30)), late.view().deadline());
        var early = SearchDriver.step(requested, join::get, false, T0.plus(Duration.ofMinutes(29)));
        assertEquals(2, early.toPublish().size());
        assertNull(early.view().stopReason());

        join.accept(new SweepCancelled("s1", T0, null));
        var cancelled = SearchDriver.step(requested, join::get, true, T0);
        assertTrue(cancelled.toPublish().isEmpty());
        assertEquals("cancelled", cancelled.view().status());
    }

    @Test
    void aReplayedStateResumesWithoutProposingAPublishedRunAgain() {
        SearchRequested requested = requested(search(null, null, null, null));
        String dense = requested.search().denseRun(T0).runId();
        RunJoin join = new RunJoin(Duration.ofHours(1));
        List<Event> log = new ArrayList<>();
        log.add(requested);
        join.accept(requested);
        // four rounds done, the fifth published but not finished: the gateway dies here
        for (int i = 0; i < 5; i++) {
            var step = SearchDriver.step(requested, join::get, false, T0);
            for (RunRequested run : step.toPublish()) {
                join.accept(run);
                log.add(run);
                if (i < 4) {
                    finish(run, dense).forEach(e -> {
                        join.accept(e);
                        log.add(e);
                    });
                }
            }
        }
        Set<String> published = new HashSet<>();
        log.stream().filter(e -> e instanceof RunRequested).forEach(e -> published.add(e.key()));

        RunJoin restarted = new RunJoin(Duration.ofHours(1));
        List<Event> replay = new ArrayList<>(log);
        java.util.Collections.reverse(replay); // another interleaving of the topics
        replay.forEach(restarted::accept);
        SearchRequested resumed = restarted.search("s1").orElseThrow();
        var step = SearchDriver.step(resumed, restarted::get, false, T0.plusSeconds(5));
        assertTrue(step.toPublish().isEmpty(), "two runs in flight: nothing more until one finishes");
        assertEquals(2, step.view().counts().inFlight());
        assertEquals(published.size(), step.view().counts().published());

        List<RunRequested> rest = drive(resumed, restarted, new ArrayList<>()).stream().flatMap(List::stream).toList();
        assertTrue(rest.isEmpty(), "the in-flight runs must finish first");
        // the pipeline finishes the two in-flight runs; the search goes on where it was
        for (String runId : published) {
            RunResult r = restarted.get(runId).orElseThrow();
            if (!r.state().isFinal()) {
                finish(r.request(), dense).forEach(restarted::accept);
            }
        }
        List<RunRequested> after = drive(resumed, restarted, new ArrayList<>()).stream().flatMap(List::stream).toList();
        assertFalse(after.isEmpty());
        assertTrue(after.stream().noneMatch(r -> published.contains(r.runId())), "no run proposed twice");
        assertEquals(14, published.size() + after.size(), "the same 14 runs as an uninterrupted search");
    }

    @Test
    void theHypervolumeIsTheAreaBelowTheReferenceAndIgnoresDominatedPoints() {
        var one = new dev.prunelab.measure.MeanInterval(1, 1, 1, 1, 1);
        ParetoPoint dense = new ParetoPoint("d", "dense", 10.0, 100L, null, null, null, null, "d", one, one, null);
        ParetoPoint a = point("a", 10.0, 0.5);
        ParetoPoint b = point("b", 20.0, 0.2);
        ParetoPoint dominated = point("c", 25.0, 0.3);
        ParetoPoint beyond = point("e", 50.0, 0.1);
        // (4 - 1) × (1 - 0.5) + (4 - 2) × (0.5 - 0.2)
        assertEquals(2.1, Hypervolume.of(List.of(dense, a, b, dominated, beyond), dense, 4.0), 1e-12);
        assertEquals(0.0, Hypervolume.of(List.of(dense), dense, 4.0), 0.0);
    }

    private static ParetoPoint point(String id, double perplexity, double energyRatio) {
        var ratio = new dev.prunelab.measure.MeanInterval(energyRatio, energyRatio - 0.01, energyRatio + 0.01, 12, 0.95);
        return new ParetoPoint(id, id, perplexity, 10L, null, null, null, null, "d", ratio, null, null);
    }

    @Test
    void theCandidatesAreTheSweepsCellsOncePerAllocation() {
        SearchRequest owl = new SearchRequest("s2", new ModelRef("m.bin", null), null, null,
                List.of(PruneMethod.WANDA), List.of(0.5), null, null,
                List.of(dev.prunelab.vocabulary.LayerSparsity.UNIFORM, dev.prunelab.vocabulary.LayerSparsity.OWL),
                null, null, null, null, null, null, null, null, null, null, null, null);
        assertEquals(List.of("wanda 0.5", "wanda 0.5 owl"), owl.candidates().stream().map(PruneSpec::label).toList());
        assertEquals(2, new HashSet<>(owl.candidates()).size());
        Instant t = T0;
        assertFalse(owl.screenRun(owl.candidates().get(0), t).runId()
                .equals(owl.screenRun(owl.candidates().get(1), t).runId()));
    }
}
