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
                run                method      setting       status    ppl  params  size MB  tok/s  energy J  carbon g  mark
                demo-aaaaaaaaaaaa  dense       -             done    6.012  260.0K     1.10  812.3     100.0    0.0132     P
                demo-bbbbbbbbbbbb  wanda       0.5           done    6.400  260.0K     1.10  820.0      80.5    0.0106    P*
                demo-cccccccccccc  structured  mlp 0.3 flap  done    9.250   1.23M     0.90      -         -         -
                demo-dddddddddddd  sparsegpt   2:4           failed      -       -        -      -         -         -
                P = Pareto front on perplexity, sizeBytes, energyJoules (lower is better): demo-aaaaaaaaaaaa, demo-bbbbbbbbbbbb
                energy: estimated (CPU utilisation x TDP) where no power sensor exists
                * recommendation, perplexity at most 10% above dense-run 6.012 of demo-aaaaaaaaaaaa (limit 6.614): demo-bbbbbbbbbbbb (wanda 0.5)
                """;
        assertEquals(expected, SweepTable.format(view));
    }

    @Test
    void saysWhyThereIsNoRecommendation() {
        var rec = new SweepView.Recommendation(0.1, null, null, null, null, java.util.List.of(), "r",
                "no completed run with a perplexity yet");
        assertEquals("* recommendation, perplexity at most 10% above: none\n  note: no completed run with a perplexity yet",
                SweepTable.recommendation(rec));
    }
}
