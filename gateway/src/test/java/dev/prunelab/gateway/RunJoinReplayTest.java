package dev.prunelab.gateway;

import dev.prunelab.vocabulary.RunStage;
import static dev.prunelab.gateway.Fixtures.T0;
import static dev.prunelab.gateway.Fixtures.power;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.Event;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.SweepCancelled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The gateway rebuilds its state on every start by replaying the topics; topics are read concurrently, so the
 * same events arrive in another interleaving, and at-least-once delivery repeats some of them.
 */
class RunJoinReplayTest {

    private static RunJoin fresh() {
        return new RunJoin(Duration.ofMinutes(1));
    }

    private static RunRequested request(String runId, double sparsity) {
        return Fixtures.request(runId, "s1", PruneSpec.unstructured(PruneMethod.WANDA, sparsity));
    }

    private static ModelPruned pruned(String runId) {
        return Fixtures.pruned(runId, PruneSpec.unstructured(PruneMethod.WANDA, 0.5), 1000, 30.0);
    }

    private static ModelEvaluated evaluated(String runId, double perplexity) {
        return Fixtures.evaluated(runId, perplexity, 1000, 0.02, 0.001, 400, 10, 1);
    }

    /** Per topic, in log order: requests, progress, pruned, evaluated, power, failures, cancellations. */
    private static List<List<Event>> topics() {
        List<Event> power = new ArrayList<>();
        for (int s = 0; s <= 600; s += 5) {
            power.add(power(s, 10 + s % 20)); // 10 minutes of samples, longer than the 1-minute retention
        }
        return List.of(
                List.of(request("a", 0.0), request("b", 0.5), request("c", 0.7), request("d", 0.9)),
                List.of(new RunProgress("a", T0.plusSeconds(1), RunStage.PRUNE, 0.5, null),
                        new RunProgress("d", T0.plusSeconds(2), RunStage.CALIBRATE, 0.2, null)),
                List.of(pruned("a"), pruned("b"), pruned("c")),
                List.of(evaluated("a", 6.0), evaluated("b", 6.3), evaluated("c", 9.0)),
                power,
                List.of(new RunFailed("d", T0.plusSeconds(3), RunStage.CANCELLED, "cancelled by the user",
                        null)),
                List.of(new SweepCancelled("s1", T0.plusSeconds(2), null)));
    }

    private static Map<String, RunResult> byId(RunJoin join) {
        return join.all().stream().collect(Collectors.toMap(RunResult::runId, Function.identity()));
    }

    @Test
    void replayingTheTopicsInAnotherOrderGivesTheSameResults() {
        RunJoin live = fresh();
        topics().forEach(topic -> topic.forEach(live::accept)); // requests first, power last
        RunJoin replayed = fresh();
        List<List<Event>> reversed = new ArrayList<>(topics());
        java.util.Collections.reverse(reversed); // power and failures before the requests
        reversed.forEach(topic -> topic.forEach(replayed::accept));

        Map<String, RunResult> expected = byId(live);
        assertEquals(expected, byId(replayed));
        assertEquals(RunState.COMPLETED, expected.get("a").state());
        assertEquals(RunState.COMPLETED, expected.get("c").state());
        assertNotNull(expected.get("a").evaluated().energy(), "the energy stage travels with the evaluation");
        assertEquals(30.0, expected.get("a").point().orElseThrow().pruneJoules());
        assertEquals("s1", expected.get("d").sweepId());
        assertEquals(RunStatus.CANCELLED, RunStatus.of(expected.get("d")));
        assertTrue(replayed.cancellation("s1").isPresent());
        assertEquals(List.of("s1"), replayed.sweepIds());
    }

    @Test
    void redeliveredEventsDuplicateNoRunAndNoResult() {
        RunJoin once = fresh();
        topics().forEach(topic -> topic.forEach(once::accept));
        RunJoin twice = fresh();
        EventCodec codec = new EventCodec();
        for (List<Event> topic : topics()) {
            for (Event event : topic) {
                twice.accept(event);
                // a redelivery is a fresh decode of the same record
                assertFalse(twice.accept(codec.decode(codec.encode(event))), "redelivered " + event.type());
            }
        }
        topics().forEach(topic -> topic.forEach(twice::accept)); // and the whole log once more
        assertEquals(4, twice.all().size());
        assertEquals(byId(once), byId(twice));
        assertEquals(4, twice.sweep("s1").size());
    }

    @Test
    void countsRunsPerState() {
        RunJoin join = fresh();
        topics().forEach(topic -> topic.forEach(join::accept));
        Map<RunState, Integer> counts = join.counts();
        assertEquals(3, counts.get(RunState.COMPLETED)); // a, b, c
        assertEquals(1, counts.get(RunState.FAILED));
        assertEquals(0, counts.get(RunState.REQUESTED));
        assertEquals(10 + 600 % 20, join.latestPower().get("lab-1/cpu").watts(), 0);
    }
}
