package dev.prunelab.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.gateway.Fixtures;
import dev.prunelab.gateway.SweepView;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SweepTableTest {

    static String canned() throws Exception {
        try (InputStream in = SweepTableTest.class.getResourceAsStream("/canned-sweep.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void formatsTheJoinedResultsFrontAndRecommendation() throws Exception {
        SweepView view = GatewayClient.parse(canned());
        String expected = """
                sweep demo: done {done=3, failed=1}
                run                method      setting             status     ppl  params  size MB   energy/dense [95%]       speed-up [95%]  vs dense   decode mJ/tok [95%]  decode tok/s [95%]    window    source  prune J  break-even tok  carbon g  mark
                demo-aaaaaaaaaaaa  dense       -                   done     7.118  260.0K    61.27            reference            reference         -  16.30 [15.50, 17.10]      440 [425, 455]  12:00:30  estimate      2.1               -    0.0057     P
                demo-bbbbbbbbbbbb  wanda       0.5                 done     8.420  260.0K    61.27  0.99 [0.89, 1.10] =  1.01 [0.94, 1.10] =  unpaired  16.10 [15.20, 17.00]      446 [426, 466]  12:00:30  estimate     48.7           never    0.0118
                demo-cccccccccccc  structured  mlp+heads 0.5 flap  done    14.900  260.0K    38.70    0.63 [0.57, 0.68]    1.60 [1.52, 1.68]    paired   10.20 [9.80, 10.60]      702 [690, 714]  12:00:30  estimate     61.2           10033    0.0115    P*
                demo-dddddddddddd  sparsegpt   2:4                 failed       -       -        -                    -                    -         -                     -                   -         -         -        -               -         -
                P = Pareto front on perplexity, sizeBytes, decodeEnergyRatio, decodeSpeedup (overlapping intervals are a tie): demo-aaaaaaaaaaaa, demo-cccccccccccc; energy and speed as each run's ratio to dense demo-aaaaaaaaaaaa: paired in its own window, except demo-bbbbbbbbbbbb (unpaired: conservative, from two windows)
                energy/dense, speed-up: the run's decode J/token and tokens/s over dense's; paired = measured in one window with dense's repeats; unpaired = conservative, from two windows; = : the interval contains 1, no difference from dense
                decode mJ/tok, tok/s: absolute, each from its run's own window (start, UTC): compare runs by the ratios, not by these
                source estimate: energy estimated from each process's CPU time (no power sensor read), not measured; carbon of an estimate is an estimate
                carbon: 475 gCO2e/kWh, PUE 1.00
                * recommendation, perplexity at most 150% above dense-run 7.118 of demo-aaaaaaaaaaaa (limit 17.795): demo-cccccccccccc (structured mlp+heads 0.5 flap)
                  why: structured mlp+heads 0.5 flap: decode 1.60x dense's speed [1.52, 1.68] (faster), 0.63x its J/token [0.57, 0.68] (less, paired in one window, estimate); perplexity 14.900 (+109.3% vs baseline 7.118; limit 17.795); the lowest decode energy of the 3 admissible runs, outside the noise
                """;
        assertEquals(expected, SweepTable.format(view));
    }

    @Test
    void aRunWithoutARatioShowsDashesAndANoteAndTheSourcesAreNamed() {
        // dense's J/token interval reaches below 0 (an older event at small n); its pruner measured with RAPL.
        var join = new dev.prunelab.gateway.RunJoin(java.time.Duration.ofHours(1));
        var dense = dev.prunelab.events.PruneSpec.unstructured(dev.prunelab.vocabulary.PruneMethod.MAGNITUDE, 0.0);
        var wanda = dev.prunelab.events.PruneSpec.unstructured(dev.prunelab.vocabulary.PruneMethod.WANDA, 0.5);
        join.accept(Fixtures.request("d", "s", dense));
        join.accept(Fixtures.evaluated("d", 6.0, 1000, 0.020, 0.025, 400, 12, 1L << 20));
        join.accept(Fixtures.request("w", "s", wanda));
        join.accept(Fixtures.pruned("w", wanda, 1000, 30.0));
        join.accept(Fixtures.evaluated("w", 7.0, 1000, 0.0201, 0.001, 404, 12, 1L << 20));
        SweepView view = dev.prunelab.gateway.SweepReports.view("s", join.sweep("s"), false,
                dev.prunelab.gateway.Constraints.perplexityOnly(0.5), null, dev.prunelab.gateway.Carbon.defaults());
        String table = SweepTable.format(view);
        String w = table.lines().filter(l -> l.startsWith("w ")).findFirst().orElseThrow();
        assertEquals(List.of("w", "wanda", "0.5", "done", "7.000", "260.0K", "0.00", "-", "1.01", "[0.95,", "1.07]",
                "=", "unpaired", "20.10", "[19.10,", "21.10]", "404", "[392,", "416]", "12:00:30", "estimate", "30.0",
                "-", "0.0107", "P"), List.of(w.trim().split(" +")),
                "on the front: a run without an energy ratio is not dominated through it");
        assertTrue(table.contains("note: w: energy ratio: dense's decode J/token 0.02000 [-0.005000, 0.04500] reaches 0 "
                + "or below: no ratio to it\n"), table);
        assertTrue(table.contains("source estimate: energy estimated from each process's CPU time"), table);
    }

    @Test
    void saysWhyThereIsNoRecommendation() {
        var rec = new SweepView.Recommendation(0.1, null, null, null, null, null, java.util.List.of(), "r", null,
                "no completed run with a perplexity yet");
        assertEquals("* recommendation, perplexity at most 10% above: none\n  note: no completed run with a perplexity yet",
                SweepTable.recommendation(rec));
    }

    @Test
    void settingsNameTheRefinementAndTheWeightWidth() {
        var ria = dev.prunelab.events.PruneSpec.unstructured(dev.prunelab.vocabulary.PruneMethod.RIA, 0.5);
        assertEquals("0.5 w4", SweepTable.setting(ria.withWeightBits(4, null)));
        assertEquals("0.7 owl w4", SweepTable.setting(new dev.prunelab.events.PruneSpec(dev.prunelab.vocabulary.PruneMethod.WANDA, 0.7, null,
                null, dev.prunelab.vocabulary.LayerSparsity.OWL, null).withWeightBits(4, null)));
        assertEquals("2:4 dsnot", SweepTable.setting(dev.prunelab.events.PruneSpec.nm(
                dev.prunelab.vocabulary.PruneMethod.WANDA, "2:4").withRefine(dev.prunelab.vocabulary.MaskRefinement.DSNOT)));
        assertEquals("mlp 0.5 flap w4", SweepTable.setting(dev.prunelab.events.PruneSpec.structured(
                new dev.prunelab.events.StructuredSpec(dev.prunelab.vocabulary.StructuredTarget.MLP, 0.5,
                        dev.prunelab.vocabulary.StructuredScore.FLAP, null, null)).withWeightBits(4, null)));
    }
}
