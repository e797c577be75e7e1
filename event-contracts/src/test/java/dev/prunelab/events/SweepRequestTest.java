package dev.prunelab.events;

import dev.prunelab.vocabulary.PruneMethod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class SweepRequestTest {

    private static final Instant T = Instant.parse("2026-01-31T12:00:00Z");
    private final EventCodec codec = new EventCodec();

    private static final String SWEEP = """
            {"sweepId":"s1","model":{"path":"stories260K.bin"},
             "methods":["wanda","sparsegpt","magnitude","structured"],
             "sparsities":[0.3,0.5,0.7],"patterns":["2:4"],
             "structured":{"targets":["mlp","blocks"],"ratios":[0.25],"scores":["flap","block-influence"]},
             "evaluations":[{"perplexity":{}},{"latency":{"batch":[1,8]}}],"denseBaseline":false}
            """;

    @Test
    void aDenseReferenceRunComesFirstUnlessTheGridHasOne() {
        String sweep = SWEEP.replace(",\"denseBaseline\":false", "");
        List<RunRequested> runs = codec.decodeSweep(sweep).expand(T);
        assertEquals((3 * 4 + 2 + 1) * 2, runs.size());
        assertEquals("dense", runs.get(0).prune().label());
        assertEquals("dense", runs.get(1).prune().label());
        assertEquals(PruneMethod.MAGNITUDE, runs.get(0).prune().method());
        assertEquals(0.0, runs.get(0).prune().sparsity());
        assertEquals("wanda 0.3", runs.get(2).prune().label());
        // A grid that has sparsity 0 already holds its reference.
        List<RunRequested> withZero = codec.decodeSweep(sweep.replace("[0.3,0.5,0.7]", "[0,0.5]")).expand(T);
        assertEquals((3 * 3 + 2) * 2, withZero.size());
        assertEquals("wanda 0.5", withZero.get(2).prune().label());
        assertEquals("dense", withZero.get(0).prune().label());
    }

    @Test
    void expandsMethodsTimesSettingsTimesEvaluationsInOrder() {
        List<RunRequested> runs = codec.decodeSweep(SWEEP).expand(T);
        // 3 unstructured methods x (3 sparsities + 1 pattern) + 2 valid structured combinations, x 2 evaluations
        assertEquals((3 * 4 + 2) * 2, runs.size());
        assertEquals("wanda 0.3", runs.get(0).prune().label());
        assertEquals(runs.get(0).prune(), runs.get(1).prune());
        assertNotEquals(runs.get(0).evaluation(), runs.get(1).evaluation());
        assertEquals("wanda 2:4", runs.get(6).prune().label());
        assertEquals("structured mlp 0.25 flap", runs.get(24).prune().label());
        assertEquals("structured blocks 0.25 block-influence", runs.get(26).prune().label());
        for (RunRequested run : runs) {
            assertEquals("s1", run.sweepId());
            assertTrue(run.runId().matches("s1-[0-9a-f]{12}"), run.runId());
            assertEquals(T, run.occurredAt());
        }
        assertEquals(runs.size(), new HashSet<>(runs.stream().map(RunRequested::runId).toList()).size());
    }

    @Test
    void runIdsAreStableAndDuplicatesRunOnce() {
        List<String> first = codec.decodeSweep(SWEEP).expand(T).stream().map(RunRequested::runId).toList();
        List<String> again = codec.decodeSweep(SWEEP.replace("\n", " ")).expand(T.plusSeconds(60)).stream()
                .map(RunRequested::runId).toList();
        assertEquals(first, again);
        SweepRequest twice = codec.decodeSweep(SWEEP.replace("[0.3,0.5,0.7]", "[0.3,0.5,0.3]"));
        assertEquals((3 * 3 + 2) * 2, twice.expand(T).size());
        // A run id depends on the configuration, not on its position in the grid.
        SweepRequest reordered = codec.decodeSweep(SWEEP.replace("[0.3,0.5,0.7]", "[0.7,0.5,0.3]"));
        assertEquals(new HashSet<>(first), new HashSet<>(reordered.expand(T).stream().map(RunRequested::runId).toList()));
    }

    @Test
    void expandedRunsSurviveTheCodec() {
        for (RunRequested run : codec.decodeSweep(SWEEP).expand(T)) {
            assertEquals(run, codec.decode(codec.encode(run)));
        }
    }

    @Test
    void refusesBadSweepsByField() {
        assertEquals("sparsities[1]: 1.2 is outside [0, 1)", assertThrows(InvalidEventException.class,
                () -> codec.decodeSweep(SWEEP.replace("0.5,", "1.2,"))).getMessage());
        assertEquals("patterns[0]: 4:2 has N >= M; N must be below M (2:4 keeps 2 of every 4)",
                assertThrows(InvalidEventException.class, () -> codec.decodeSweep(SWEEP.replace("2:4", "4:2"))).getMessage());
        assertEquals("methods[1]: unknown method 'obs' (expected magnitude|wanda|sparsegpt|ria|structured)",
                assertThrows(InvalidEventException.class, () -> codec.decodeSweep(SWEEP.replace("\"sparsegpt\"", "\"obs\""))).getMessage());
        assertEquals("structured: is missing", assertThrows(InvalidEventException.class,
                () -> codec.decodeSweep(SWEEP.replaceAll("\"structured\":\\{.*\\},", ""))).getMessage());
        assertEquals("mdl: unknown field (known: calibration, denseBaseline, dtype, evaluations, layerSparsity, methods, "
                + "model, patterns, refinements, sparsities, structured, sweepId, weightBits, weightBlock)",
                assertThrows(InvalidEventException.class, () -> codec.decodeSweep(SWEEP.replace("\"model\"", "\"mdl\""))).getMessage());
    }

    @Test
    void everyPrunedRunsEnergyStageIsPairedWithTheDenseRun() {
        SweepRequest sweep = new SweepRequest("paired", new ModelRef("m.bin", null),
                List.of(PruneMethod.WANDA, PruneMethod.MAGNITUDE), List.of(0.5), null, null, null,
                List.of(new EvaluationSpec(null, null, null, EnergySpec.defaults(), null, 1)), null, null, null);
        List<RunRequested> runs = sweep.expand(Instant.parse("2026-01-31T12:00:00Z"));
        assertEquals(3, runs.size());
        RunRequested dense = runs.get(0);
        assertEquals("dense", dense.prune().label());
        assertNull(dense.evaluation().energy().referenceRunId(), "the dense run is the reference");
        for (RunRequested run : runs.subList(1, 3)) {
            assertEquals(dense.runId(), run.evaluation().energy().referenceRunId(), run.prune().label());
        }
        assertEquals(runs, sweep.expand(Instant.parse("2026-01-31T12:00:00Z")), "deterministic");
    }
}
