package dev.prunelab.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.StructuredScore;
import dev.prunelab.vocabulary.StructuredTarget;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A run's id and its CloudEvents id are computed once, and are what they always were. */
class RunConfigurationTest {

    private static final Instant T = Instant.parse("2026-01-31T12:00:00Z");
    private final EventCodec codec = new EventCodec();

    /** The formula run ids have always had: the four parts in a map, written by the codec, hashed. */
    private static String idAsBefore(String prefix, ModelRef model, PruneSpec prune, CalibrationSpec calibration,
            EvaluationSpec evaluation) {
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("model", model);
        identity.put("prune", prune);
        identity.put("calibration", calibration);
        identity.put("evaluation", evaluation);
        return prefix + "-" + EventCodec.sha256Hex(EventCodec.write(identity)).substring(0, 12);
    }

    private static List<RunConfiguration> configurations() {
        ModelRef model = new ModelRef("/m/stories260K.bin", "/m/tok512.bin");
        EvaluationSpec energy = new EvaluationSpec(new PerplexitySpec(null, null, null, 4), null, null,
                EnergySpec.defaults(), null, 1);
        return List.of(
                new RunConfiguration(model, PruneSpec.unstructured(PruneMethod.WANDA, 0.5), null, null),
                new RunConfiguration(model, PruneSpec.nm(PruneMethod.SPARSEGPT, "2:4")
                        .withRefine(MaskRefinement.DSNOT).withWeightBits(4, 64),
                        new CalibrationSpec(null, 4, 64, 1L), energy),
                new RunConfiguration(model, PruneSpec.structured(new StructuredSpec(StructuredTarget.MLP, 0.3,
                        StructuredScore.FLAP, null, null)), new CalibrationSpec("/d/c.txt", null, null, null), energy));
    }

    @Test
    void aRunIdIsTheHashItAlwaysWas() {
        for (RunConfiguration run : configurations()) {
            assertEquals(idAsBefore("run", run.model(), run.prune(), run.calibration(), run.evaluation()),
                    run.runId("run"));
            assertEquals(run.runId("s1"), run.request("s1", T, "s1").runId());
        }
    }

    @Test
    void aConfigurationHasTheSameIdAloneAndInASweep() {
        RunConfiguration single = codec.decodeRun("""
                {"model":{"path":"stories260K.bin"},"prune":{"method":"wanda","sparsity":0.5},
                 "calibration":{"samples":4}}""");
        SweepRequest sweep = codec.decodeSweep("""
                {"sweepId":"run","model":{"path":"stories260K.bin"},"methods":["wanda"],"sparsities":[0.5],
                 "calibration":{"samples":4},"denseBaseline":false}""");
        RunRequested expanded = sweep.expand(T).get(0);
        RunRequested alone = single.request("run", T, null);
        assertEquals(expanded.runId(), alone.runId());
        assertEquals(expanded.prune(), alone.prune());
        assertEquals(expanded.evaluation(), alone.evaluation());
        assertNull(alone.sweepId());
    }

    @Test
    void aRunRequestsCloudEventsIdComesFromItsEncodedJsonAsItAlwaysDid() {
        for (RunConfiguration configuration : configurations()) {
            RunRequested run = configuration.request("s1", T.plusNanos(1_500), "s1");
            RunRequested timeless = new RunRequested(run.runId(), Instant.EPOCH, run.sweepId(), run.model(),
                    run.prune(), run.calibration(), run.evaluation());
            String before = run.type() + ":" + run.key() + ":"
                    + EventCodec.sha256Hex(codec.encode(timeless)).substring(0, 16);
            assertEquals(before, CloudEvents.id(run, codec.encode(run)));
            assertEquals(before, CloudEvents.id(run));
        }
    }
}
