package dev.prunelab.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ParetoAndRecommenderTest {

    // runId, label, perplexity, size, latency, energy
    static final ParetoPoint DENSE = new ParetoPoint("dense", "wanda 0.0", 10.0, 1000L, 5.0, 100.0);
    static final ParetoPoint W30 = new ParetoPoint("w30", "wanda 0.3", 10.5, 1000L, 5.0, 90.0);
    static final ParetoPoint W50 = new ParetoPoint("w50", "wanda 0.5", 12.0, 1000L, 5.0, 95.0); // dominated by w30
    static final ParetoPoint M50 = new ParetoPoint("m50", "magnitude 0.5", 40.0, 1000L, 5.0, 80.0);
    static final ParetoPoint S30 = new ParetoPoint("s30", "structured mlp 0.3", 10.8, 700L, 3.5, 70.0);
    static final ParetoPoint S50 = new ParetoPoint("s50", "structured mlp 0.5", 13.0, 500L, 2.5, 50.0);
    static final ParetoPoint S50_TWIN = new ParetoPoint("s50b", "structured mlp 0.5", 13.0, 500L, 2.5, 50.0);

    @Test
    void keepsTheNonDominatedRuns() {
        var front = ParetoFront.of(List.of(DENSE, W30, W50, M50, S30, S50));
        // dense: lowest perplexity; w30: beats dense on energy; m50: 80 J < 90 J but s30 is better on all four?
        // s30 = (10.8, 700, 3.5, 70) vs m50 = (40, 1000, 5, 80): s30 dominates m50. w50 is dominated by w30.
        assertEquals(List.of(DENSE, W30, S30, S50), front.points());
        assertEquals(ParetoPoint.OBJECTIVES, front.objectives());
    }

    @Test
    void equalRunsAreBothKeptAndMissingObjectivesAreLeftOut() {
        assertEquals(List.of(S50, S50_TWIN), ParetoFront.of(List.of(S50, S50_TWIN)).points());
        ParetoPoint noLatency = new ParetoPoint("n", "n", 11.0, 1000L, null, 10.0);
        var front = ParetoFront.of(List.of(DENSE, noLatency, W50));
        assertEquals(List.of("perplexity", "sizeBytes", "energyJoules"), front.objectives());
        assertEquals(List.of(DENSE, noLatency), front.points());
    }

    @Test
    void recommendsTheSmallestThenLowestEnergyWithinTheLimit() {
        List<ParetoPoint> all = List.of(DENSE, W30, W50, M50, S30, S50);
        var ten = Recommender.recommend(all, 10.0, 0.10).orElseThrow();
        assertEquals(11.0, ten.perplexityLimit(), 1e-12);
        assertEquals(S30, ten.choice()); // within 11.0: dense, w30, s30; s30 is the smallest
        assertEquals(List.of(S30, W30, DENSE), ten.admissible());
        // 4% allows dense (10.0) and w30 (10.5 > 10.4? no): only dense.
        assertEquals(DENSE, Recommender.recommend(all, 10.0, 0.04).orElseThrow().choice());
        // 5%: dense and w30 share the size; w30 has less energy.
        assertEquals(W30, Recommender.recommend(all, 10.0, 0.05).orElseThrow().choice());
        assertEquals(S50, Recommender.recommend(all, 10.0, 0.30).orElseThrow().choice());
        assertTrue(Recommender.recommend(List.of(M50), 10.0, 0.10).isEmpty());
    }
}
