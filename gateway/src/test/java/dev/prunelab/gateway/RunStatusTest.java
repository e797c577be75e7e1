package dev.prunelab.gateway;

import dev.prunelab.vocabulary.RunStage;
import static dev.prunelab.gateway.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RunStatusTest {

    private static final PruneSpec W50 = PruneSpec.unstructured(PruneMethod.WANDA, 0.5);
    private final RunJoin join = new RunJoin(Duration.ofHours(1));

    private static dev.prunelab.events.RunRequested request(String runId, double sparsity) {
        return Fixtures.request(runId, "s", PruneSpec.unstructured(PruneMethod.WANDA, sparsity));
    }

    private RunStatus status(String runId) {
        return RunStatus.of(join.get(runId).orElseThrow());
    }

    @Test
    void followsTheRunThroughTheStages() {
        join.accept(request("r", 0.5));
        assertEquals(RunStatus.QUEUED, status("r"));
        join.accept(new RunProgress("r", T0.plusSeconds(1), RunStage.PRUNE, 0.1, null));
        assertEquals(RunStatus.PRUNING, status("r"));
        join.accept(Fixtures.pruned("r", W50, 1000, null));
        assertEquals(RunStatus.EVALUATING, status("r"));
        join.accept(new RunProgress("r", T0.plusSeconds(6), RunStage.EVALUATE, 0.5, null));
        assertEquals(RunStatus.EVALUATING, status("r"));
        join.accept(Fixtures.evaluated("r", 7.0, 1000, 0.02, 0.001, 400, 10, 1));
        assertEquals(RunStatus.DONE, status("r"), "the evaluation carries its energy: done at once");

        // the evaluator's progress read before the prune report (topics are not ordered against each other)
        join.accept(request("e", 0.5));
        join.accept(new RunProgress("e", T0.plusSeconds(6), RunStage.EVALUATE, 0.5, null));
        assertEquals(RunStatus.EVALUATING, status("e"));

        join.accept(request("f", 0.5));
        join.accept(new RunFailed("f", T0, RunStage.PRUNE, "boom", null));
        assertEquals(RunStatus.FAILED, status("f"));
        join.accept(request("c", 0.5));
        join.accept(new RunFailed("c", T0, RunStage.CANCELLED, "cancelled by the user", null));
        assertEquals(RunStatus.CANCELLED, status("c"));
        assertEquals(RunStatus.CANCELLED, RunStatus.of("cancelled"));
    }
}
