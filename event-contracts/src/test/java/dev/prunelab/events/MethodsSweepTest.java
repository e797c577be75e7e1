package dev.prunelab.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.WeightBits;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RIA, DSnoT and the weight width in prune specs, their labels, and the sweep's expansion over them. */
class MethodsSweepTest {
    private static final Instant T = Instant.parse("2026-01-31T12:00:00Z");
    private final EventCodec codec = new EventCodec();

    @Test
    void labelsNameTheRefinementAndTheWidth() {
        assertEquals("ria 0.5", PruneSpec.unstructured(PruneMethod.RIA, 0.5).label());
        assertEquals("ria 0.5 w4", PruneSpec.unstructured(PruneMethod.RIA, 0.5).withWeightBits(4, null).label());
        assertEquals("wanda 2:4 dsnot w4", PruneSpec.nm(PruneMethod.WANDA, "2:4").withRefine(MaskRefinement.DSNOT)
                .withWeightBits(4, null).label());
        assertEquals("sparsegpt 0.6 w4b64", PruneSpec.unstructured(PruneMethod.SPARSEGPT, 0.6).withWeightBits(4, 64)
                .label());
        PruneSpec denseW4 = PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.0).withWeightBits(4, null);
        assertEquals("dense w4", denseW4.label());
        assertFalse(denseW4.isDense(), "the 4-bit export is not the float reference");
        assertTrue(PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.0).withWeightBits(32, null).isDense());
    }

    @Test
    void absentFieldsKeepTheJsonAndTheRunIdsOfOlderRequests() throws Exception {
        PruneSpec plain = PruneSpec.unstructured(PruneMethod.WANDA, 0.5);
        assertEquals(plain, plain.withRefine(MaskRefinement.NONE).withWeightBits(32, null));
        String json = EventCodec.write(plain);
        assertFalse(json.contains("refine") || json.contains("weightBits"), json);
        PruneSpec read = new com.fasterxml.jackson.databind.ObjectMapper().readValue(
                EventCodec.write(plain.withRefine(MaskRefinement.DSNOT).withWeightBits(4, 32)), PruneSpec.class);
        assertEquals(MaskRefinement.DSNOT, read.refine());
        assertEquals(4, read.weightBits());
        assertEquals(32, read.weightBlock());
    }

    @Test
    void refusesWhatCannotBeBuiltNamingTheField() {
        InvalidSetting bits = assertThrows(InvalidSetting.class,
                () -> PruneSpec.unstructured(PruneMethod.WANDA, 0.5).withWeightBits(3, null));
        assertEquals(WeightBits.FIELD, bits.field());
        InvalidSetting block = assertThrows(InvalidSetting.class,
                () -> PruneSpec.unstructured(PruneMethod.WANDA, 0.5).withWeightBits(4, 24));
        assertEquals(WeightBits.BLOCK_FIELD, block.field());
        InvalidSetting refine = assertThrows(InvalidSetting.class, () -> PruneSpec.structured(
                new StructuredSpec(dev.prunelab.vocabulary.StructuredTarget.MLP, 0.3,
                        dev.prunelab.vocabulary.StructuredScore.FLAP, null, null)).withRefine(MaskRefinement.DSNOT));
        assertEquals(MaskRefinement.FIELD, refine.field());
    }

    @Test
    void aSweepRunsEachRefinementAndWidth() {
        String sweep = """
                {"sweepId":"s1","model":{"path":"stories15M.bin"},"methods":["ria","wanda","structured"],
                 "sparsities":[0.6],"structured":{"targets":["mlp"],"ratios":[0.5],"scores":["flap"]},
                 "refinements":["none","dsnot"],"weightBits":[32,4]}
                """;
        List<String> labels = codec.decodeSweep(sweep).expand(T).stream().map(r -> r.prune().label()).toList();
        assertEquals(List.of("dense", "dense w4", "ria 0.6", "ria 0.6 w4", "ria 0.6 dsnot", "ria 0.6 dsnot w4",
                "wanda 0.6", "wanda 0.6 w4", "wanda 0.6 dsnot", "wanda 0.6 dsnot w4", "structured mlp 0.5 flap",
                "structured mlp 0.5 flap w4"), labels);
        RuntimeException wrong = assertThrows(RuntimeException.class,
                () -> codec.decodeSweep(sweep.replace("[32,4]", "[8]")));
        assertTrue(wrong.getMessage().contains("weightBits"), wrong.getMessage());
    }
}
