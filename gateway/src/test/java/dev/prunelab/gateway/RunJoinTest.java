package dev.prunelab.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.ArtifactRef;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PowerSample;
import dev.prunelab.events.PowerSourceKind;
import dev.prunelab.events.PruneMethod;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.PruneSummary;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.RunRequested;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RunJoinTest {

    static final Instant T0 = Instant.parse("2026-01-31T12:00:00Z");

    static RunRequested request(String runId, double sparsity) {
        return new RunRequested(runId, T0, "s1", new ModelRef("stories260K.bin", null),
                PruneSpec.unstructured(PruneMethod.WANDA, sparsity), null, null);
    }

    static ModelPruned pruned(String runId) {
        return new ModelPruned(runId, T0.plusSeconds(5), new ArtifactRef("file:/store/" + runId, "0".repeat(64), 1_000),
                new PruneSummary("wanda", "wanda 0.5", 0.5, 0.5, 260_000L, 130_000L, 4.0, null), null);
    }

    static ModelEvaluated evaluated(String runId, double perplexity, int fromSecond, int toSecond) {
        return new ModelEvaluated(runId, T0.plusSeconds(toSecond),
                new EvaluationMetrics(perplexity, null, null, 2.0, null, 1_100_000L, null, null),
                new MeasurementWindow(T0.plusSeconds(fromSecond), T0.plusSeconds(toSecond), "lab-1", "cpu", "cpu"));
    }

    static PowerSample power(int second, double watts) {
        return new PowerSample(T0.plusSeconds(second), "lab-1", "cpu", watts, PowerSourceKind.ESTIMATE, "cpu x TDP");
    }

    private final RunJoin join = new RunJoin(new EnergyIntegrator(), Duration.ofSeconds(30), Duration.ofHours(1));

    @Test
    void walksRequestedPrunedEvaluatedCompleted() {
        assertTrue(join.accept(request("r1", 0.5)));
        assertEquals(RunState.REQUESTED, join.get("r1").orElseThrow().state());
        assertTrue(join.accept(new RunProgress("r1", T0.plusSeconds(1), "calibration", 0.5, null)));
        assertTrue(join.accept(pruned("r1")));
        assertEquals(RunState.PRUNED, join.get("r1").orElseThrow().state());
        join.accept(power(10, 20));
        join.accept(power(20, 40));
        assertTrue(join.accept(evaluated("r1", 7.5, 12, 22)));
        assertEquals(RunState.EVALUATED, join.get("r1").orElseThrow().state(), "no sample at or after 22 s yet");
        assertTrue(join.accept(power(30, 40)));
        RunResult result = join.get("r1").orElseThrow();
        assertEquals(RunState.COMPLETED, result.state());
        // P(12) = 24 W; (24 + 40) / 2 x 8 s + 40 W x 2 s = 256 + 80 J
        assertEquals(336.0, result.energy().joules(), 1e-9);
        assertTrue(result.energy().estimated());
        assertEquals(new ParetoPoint("r1", "wanda 0.5", 7.5, 1_100_000L, 2.0, 336.0), result.point().orElseThrow());
        assertEquals("s1", result.sweepId());
        assertEquals(1, join.sweep("s1").size());
    }

    @Test
    void theSameEventTwiceChangesNothing() {
        join.accept(request("r1", 0.5));
        join.accept(pruned("r1"));
        RunResult before = join.get("r1").orElseThrow();
        assertFalse(join.accept(request("r1", 0.5)));
        assertFalse(join.accept(pruned("r1")));
        assertFalse(join.accept(request("r1", 0.7)), "the first request of a run id wins");
        assertFalse(join.accept(new RunProgress("r1", T0, "x", 0, null)) && join.accept(new RunProgress("r1", T0, "x", 0, null)));
        assertEquals(before.request(), join.get("r1").orElseThrow().request());
        assertEquals(before.pruned(), join.get("r1").orElseThrow().pruned());
        assertFalse(join.accept(power(1, 5)) && join.accept(power(1, 5)));
        assertEquals(1, join.all().size());
    }

    @Test
    void eventsMayArriveOutOfOrder() {
        join.accept(power(0, 10));
        join.accept(power(100, 10));
        assertTrue(join.accept(evaluated("r2", 8.0, 10, 20)));
        assertEquals(RunState.COMPLETED, join.get("r2").orElseThrow().state());
        assertEquals(100.0, join.get("r2").orElseThrow().energy().joules(), 1e-9);
        assertNull(join.get("r2").orElseThrow().request());
        // A replay may read the evaluation before the request: the request is still recorded (the run finds its
        // sweep), the state and the results stay.
        assertTrue(join.accept(request("r2", 0.5)));
        assertEquals(RunState.COMPLETED, join.get("r2").orElseThrow().state());
        assertEquals("s1", join.get("r2").orElseThrow().sweepId());
        assertEquals(100.0, join.get("r2").orElseThrow().energy().joules(), 1e-9);
        assertFalse(join.accept(request("r2", 0.7)), "the first request still wins");
        assertTrue(join.accept(new RunProgress("r2", T0.plusSeconds(99), "perplexity", 0.5, null)));
        assertEquals(RunState.COMPLETED, join.get("r2").orElseThrow().state(), "progress after the end is only data");
    }

    @Test
    void failedIsFinalAndGraceCompletesWithoutPower() {
        join.accept(request("r3", 0.5));
        assertTrue(join.accept(new RunFailed("r3", T0, "prune", "model.path: x does not exist", null)));
        assertFalse(join.accept(evaluated("r3", 9.0, 0, 10)), "an evaluation after the failure is ignored");
        assertTrue(join.accept(pruned("r3")), "a prune report read after the failure (replay order) is kept as data");
        assertEquals(RunState.FAILED, join.get("r3").orElseThrow().state());
        assertNull(join.get("r3").orElseThrow().evaluated());

        join.accept(evaluated("r4", 9.0, 0, 10));
        assertEquals(0, join.tick(T0.plusSeconds(39)));
        assertEquals(1, join.tick(T0.plusSeconds(40)));
        RunResult r4 = join.get("r4").orElseThrow();
        assertEquals(RunState.COMPLETED, r4.state());
        assertNull(r4.energy(), "no power sample for lab-1/cpu ever arrived");
        assertNull(r4.point().orElseThrow().energyJoules());
    }

    @Test
    void theDenseReferenceIsTheRunThatPrunedNothing() {
        join.accept(power(0, 10));
        join.accept(power(100, 10));
        join.accept(request("dense", 0.0));
        join.accept(evaluated("dense", 6.0, 0, 10));
        join.accept(request("w50", 0.5));
        join.accept(evaluated("w50", 6.5, 10, 20));
        join.accept(request("pending", 0.0));
        assertEquals(6.0, Recommender.densePerplexity(join.all()).orElseThrow(), 0);
        var points = join.all().stream().flatMap(r -> r.point().stream()).toList();
        // Same size and 100 J each (10 W x 10 s), same latency: the lower perplexity decides.
        assertEquals("dense", Recommender.recommend(points, 6.0, 0.10).orElseThrow().choice().runId());
    }
}
