package dev.prunelab.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prunelab.gateway.SweepView;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
                run                method      setting             status     ppl  params  size MB  decode tok/s [95%]       speed-up [95%]   decode mJ/tok [95%]  prune J  break-even tok  carbon g  mark
                demo-aaaaaaaaaaaa  dense       -                   done     7.118  260.0K    61.27      440 [425, 455]            reference  16.30 [15.50, 17.10]      2.1               -    0.0057     P
                demo-bbbbbbbbbbbb  wanda       0.5                 done     8.420  260.0K    61.27      446 [426, 466]  1.01 [0.94, 1.10] =  16.10 [15.20, 17.00]     48.7           never    0.0118
                demo-cccccccccccc  structured  mlp+heads 0.5 flap  done    14.900  260.0K    38.70      702 [690, 714]    1.60 [1.52, 1.68]   10.20 [9.80, 10.60]     61.2           10033    0.0115    P*
                demo-dddddddddddd  sparsegpt   2:4                 failed       -       -        -                   -                    -                     -        -               -         -
                P = Pareto front on perplexity, sizeBytes, decodeJoulesPerToken, decodeTokensPerSecond (overlapping intervals are a tie): demo-aaaaaaaaaaaa, demo-cccccccccccc
                = : the speed-up's interval contains 1, no difference from dense
                energy: estimated from each process's CPU time (no power sensor here); see each run's basis
                carbon: 475 gCO2e/kWh, PUE 1.00
                * recommendation, perplexity at most 150% above dense-run 7.118 of demo-aaaaaaaaaaaa (limit 17.795): demo-cccccccccccc (structured mlp+heads 0.5 flap)
                  why: structured mlp+heads 0.5 flap: decode 1.60x dense's speed [1.52, 1.68] (faster), 0.63x its J/token [0.57, 0.68] (less); perplexity 14.900 (+109.3% vs baseline 7.118; limit 17.795); the lowest decode energy of the 3 admissible runs, outside the noise
                """;
        assertEquals(expected, SweepTable.format(view));
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
        assertEquals("2:4 dsnot", SweepTable.setting(dev.prunelab.events.PruneSpec.nm(
                dev.prunelab.vocabulary.PruneMethod.WANDA, "2:4").withRefine(dev.prunelab.vocabulary.MaskRefinement.DSNOT)));
        assertEquals("mlp 0.5 flap w4", SweepTable.setting(dev.prunelab.events.PruneSpec.structured(
                new dev.prunelab.events.StructuredSpec(dev.prunelab.vocabulary.StructuredTarget.MLP, 0.5,
                        dev.prunelab.vocabulary.StructuredScore.FLAP, null, null)).withWeightBits(4, null)));
    }
}
