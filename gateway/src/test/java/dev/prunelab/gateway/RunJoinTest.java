package dev.prunelab.gateway;

import dev.prunelab.vocabulary.RunStage;
import static dev.prunelab.gateway.Fixtures.T0;
import static dev.prunelab.gateway.Fixtures.evaluated;
import static dev.prunelab.gateway.Fixtures.power;
import static dev.prunelab.gateway.Fixtures.pruned;
import static dev.prunelab.gateway.Fixtures.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunJoinTest {

    static final PruneSpec W50 = PruneSpec.unstructured(PruneMethod.WANDA, 0.5);

    private final RunJoin join = new RunJoin(Duration.ofHours(1));

    @Test
    void walksRequestedPrunedCompletedWithTheMeasuredEnergy() {
        assertTrue(join.accept(request("r1", "s1", W50)));
        assertEquals(RunState.REQUESTED, join.get("r1").orElseThrow().state());
        assertTrue(join.accept(new RunProgress("r1", T0.plusSeconds(1), RunStage.CALIBRATE, 0.5, null)));
        assertTrue(join.accept(pruned("r1", W50, 1_000, 40.0)));
        assertEquals(RunState.PRUNED, join.get("r1").orElseThrow().state());
        assertTrue(join.accept(evaluated("r1", 7.5, 1_100_000L, 0.016, 0.001, 440, 20, 800_000_000L)));
        RunResult result = join.get("r1").orElseThrow();
        assertEquals(RunState.COMPLETED, result.state(), "the energy came with the evaluation: nothing to wait for");
        ParetoPoint point = result.point().orElseThrow();
        assertEquals(7.5, point.perplexity());
        assertEquals(1_100_000L, point.sizeBytes());
        assertEquals(0.016, point.decodeJoulesPerToken().mean());
        assertEquals(440, point.decodeTokensPerSecond().median());
        assertEquals(40.0, point.pruneJoules());
        assertEquals("s1", result.sweepId());
        assertEquals(1, join.sweep("s1").size());
    }

    @Test
    void theSameEventTwiceChangesNothing() {
        join.accept(request("r1", "s1", W50));
        join.accept(pruned("r1", W50, 1_000, null));
        RunResult before = join.get("r1").orElseThrow();
        assertFalse(join.accept(request("r1", "s1", W50)));
        assertFalse(join.accept(pruned("r1", W50, 1_000, null)));
        assertFalse(join.accept(request("r1", "s1", PruneSpec.unstructured(PruneMethod.WANDA, 0.7))),
                "the first request of a run id wins");
        assertEquals(before.request(), join.get("r1").orElseThrow().request());
        assertEquals(before.pruned(), join.get("r1").orElseThrow().pruned());
        assertTrue(join.accept(power(1, 5)));
        assertFalse(join.accept(power(1, 5)));
        assertEquals(1, join.all().size());
    }

    @Test
    void eventsMayArriveOutOfOrder() {
        assertTrue(join.accept(evaluated("r2", 8.0, 1000, 0.02, 0.001, 400, 10, 1)));
        assertEquals(RunState.COMPLETED, join.get("r2").orElseThrow().state());
        assertNull(join.get("r2").orElseThrow().request());
        // A replay may read the evaluation before the request: the request is still recorded (the run finds its
        // sweep), the state and the results stay.
        assertTrue(join.accept(request("r2", "s1", W50)));
        assertEquals(RunState.COMPLETED, join.get("r2").orElseThrow().state());
        assertEquals("s1", join.get("r2").orElseThrow().sweepId());
        assertFalse(join.accept(request("r2", "s1", PruneSpec.unstructured(PruneMethod.WANDA, 0.7))),
                "the first request still wins");
        assertTrue(join.accept(new RunProgress("r2", T0.plusSeconds(99), RunStage.EVALUATE, 0.5, null)));
        assertEquals(RunState.COMPLETED, join.get("r2").orElseThrow().state(), "progress after the end is only data");
    }

    @Test
    void failedIsFinal() {
        join.accept(request("r3", "s1", W50));
        assertTrue(join.accept(new RunFailed("r3", T0, RunStage.PRUNE, "model.path: x does not exist", null)));
        assertFalse(join.accept(evaluated("r3", 9.0, 1000, 0.02, 0.001, 400, 10, 1)),
                "an evaluation after the failure is ignored");
        assertTrue(join.accept(pruned("r3", W50, 1000, null)), "a prune report read after the failure is kept as data");
        assertEquals(RunState.FAILED, join.get("r3").orElseThrow().state());
        assertNull(join.get("r3").orElseThrow().evaluated());
    }

    @Test
    void powerSamplesStayForDashboardsWithinTheRetention() {
        RunJoin shortMemory = new RunJoin(Duration.ofSeconds(60));
        for (int s = 0; s <= 300; s += 10) {
            shortMemory.accept(power(s, s));
        }
        assertEquals(List.of(100.0, 110.0, 120.0), shortMemory.power("lab-1", T0.plusSeconds(100), T0.plusSeconds(120))
                .stream().map(p -> p.watts()).toList());
        assertTrue(shortMemory.power("other-host", T0, T0.plusSeconds(300)).isEmpty());
        shortMemory.tick();
        assertEquals(7, shortMemory.power("lab-1", T0, T0.plusSeconds(300)).size(), "240..300 s kept");
        assertEquals(300.0, shortMemory.latestPower().get("lab-1/cpu").watts());
    }
}
