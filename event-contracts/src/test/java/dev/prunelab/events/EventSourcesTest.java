package dev.prunelab.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.RunStage;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EventSourcesTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static RunRequested request(Instant at, double sparsity) {
        return new RunRequested("s-1-magnitude", at, "s-1", new ModelRef("/m/model.bin", null),
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, sparsity), null, null);
    }

    @Test
    void onlyTheOwningServiceMayPublishAnEventAndAFailureBelongsToItsStagesService() {
        ModelEvaluated evaluated = new ModelEvaluated("r", T0,
                new EvaluationMetrics(1.01, null, null, null, null, 1000L, null, null),
                new MeasurementWindow(T0, T0.plusSeconds(1), "h", "cpu", "cpu"));
        assertEquals(Optional.empty(), EventSources.refusal(evaluated, EventSources.EVALUATOR));
        assertEquals("a model.evaluated for r from source '/prunelab/gateway' is ignored: only "
                + "/prunelab/evaluator-service publishes it", EventSources.refusal(evaluated, EventSources.GATEWAY)
                .orElseThrow());
        assertTrue(EventSources.refusal(evaluated, null).orElseThrow().contains("from no ce_source"));
        assertTrue(EventSources.refusal(request(T0, 0.5), EventSources.GATEWAY).isEmpty());
        assertTrue(EventSources.refusal(request(T0, 0.5), EventSources.PRUNER).isPresent());

        RunFailed pruneFailure = new RunFailed("r", T0, RunStage.PRUNE, "x", null);
        assertTrue(EventSources.refusal(pruneFailure, EventSources.PRUNER).isEmpty());
        assertTrue(EventSources.refusal(pruneFailure, EventSources.EVALUATOR).isPresent());
        RunFailed validation = new RunFailed("r", T0, RunStage.VALIDATE, "x", null);
        assertTrue(EventSources.refusal(validation, EventSources.PRUNER).isEmpty());
        assertTrue(EventSources.refusal(validation, EventSources.EVALUATOR).isEmpty());
        assertTrue(EventSources.refusal(validation, EventSources.GATEWAY).isPresent());
    }

    @Test
    void aForgedSourceIsNamedOnOnePrintableLine() {
        RunProgress progress = new RunProgress("r", T0, RunStage.PRUNE, 0.5, "block 1");
        String reason = EventSources.refusal(progress, "/evil\n\u0007" + "x".repeat(200)).orElseThrow();
        assertTrue(reason.contains("'/evil??xxx"), reason);
        assertTrue(reason.length() < 200, reason);
    }

    @Test
    void aRunRequestsIdDependsOnTheRequestNotOnWhenItWasPublished() {
        String id = CloudEvents.id(request(T0, 0.5));
        assertEquals(id, CloudEvents.id(request(T0.plusSeconds(30), 0.5)));
        assertEquals(id, CloudEvents.headers(request(T0.plusSeconds(1), 0.5), EventSources.GATEWAY)
                .get(CloudEvents.ID));
        assertTrue(id.matches("run\\.requested:s-1-magnitude:[0-9a-f]{16}"), id);
        assertNotEquals(id, CloudEvents.id(request(T0, 0.6)));
    }
}
