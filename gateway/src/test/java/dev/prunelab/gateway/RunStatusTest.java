package dev.prunelab.gateway;

import static dev.prunelab.gateway.RunJoinTest.T0;
import static dev.prunelab.gateway.RunJoinTest.evaluated;
import static dev.prunelab.gateway.RunJoinTest.pruned;
import static dev.prunelab.gateway.RunJoinTest.request;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RunStatusTest {

    private final RunJoin join = new RunJoin(new EnergyIntegrator(), Duration.ofSeconds(30), Duration.ofHours(1));

    private RunStatus status(String runId) {
        return RunStatus.of(join.get(runId).orElseThrow());
    }

    @Test
    void followsTheRunThroughTheStages() {
        join.accept(request("r", 0.5));
        assertEquals(RunStatus.QUEUED, status("r"));
        join.accept(new RunProgress("r", T0.plusSeconds(1), "block 1/8", 0.1, null));
        assertEquals(RunStatus.PRUNING, status("r"));
        join.accept(pruned("r"));
        assertEquals(RunStatus.EVALUATING, status("r"));
        join.accept(new RunProgress("r", T0.plusSeconds(6), "evaluate", 0.5, null));
        assertEquals(RunStatus.EVALUATING, status("r"));
        join.accept(evaluated("r", 7.0, 6, 8));
        assertEquals(RunStatus.EVALUATING, status("r"), "waiting for the power samples of its window");
        join.tick(T0.plusSeconds(60));
        assertEquals(RunStatus.DONE, status("r"));

        // the evaluator's progress read before the prune report (topics are not ordered against each other)
        join.accept(request("e", 0.5));
        join.accept(new RunProgress("e", T0.plusSeconds(6), "evaluate", 0.5, null));
        assertEquals(RunStatus.EVALUATING, status("e"));

        join.accept(request("f", 0.5));
        join.accept(new RunFailed("f", T0, "prune", "boom", null));
        assertEquals(RunStatus.FAILED, status("f"));
        join.accept(request("c", 0.5));
        join.accept(new RunFailed("c", T0, "cancelled", "cancelled by the user", null));
        assertEquals(RunStatus.CANCELLED, status("c"));
        assertEquals(RunStatus.CANCELLED, RunStatus.of("cancelled"));
    }
}
