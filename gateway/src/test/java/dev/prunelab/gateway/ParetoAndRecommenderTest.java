package dev.prunelab.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.MeanInterval;
import dev.prunelab.events.MedianInterval;
import java.util.List;
import org.junit.jupiter.api.Test;

class ParetoAndRecommenderTest {

    static ParetoPoint point(String id, double perplexity, long size, double joules, double joulesHalf, double speed,
                             double speedHalf, long rssMb, Double pruneJoules) {
        return new ParetoPoint(id, id, perplexity, size,
                new MeanInterval(joules, joules - joulesHalf, joules + joulesHalf, 12, 0.95),
                new MedianInterval(speed, speed - speedHalf, speed + speedHalf, 12, 0.96), rssMb * 1024 * 1024,
                pruneJoules);
    }

    static final ParetoPoint DENSE = point("dense", 10.0, 1000, 0.0200, 0.0010, 400, 10, 600, 1.0);
    // Unstructured: the same compute as dense; its figures differ from dense's only inside the noise.
    static final ParetoPoint NOISY = point("wanda-0.3", 10.5, 1000, 0.0195, 0.0010, 430, 40, 600, 30.0);
    static final ParetoPoint W50 = point("wanda-0.5", 12.0, 1000, 0.0205, 0.0010, 395, 10, 600, 30.0);
    static final ParetoPoint S30 = point("structured-0.3", 11.0, 700, 0.0150, 0.0005, 520, 10, 500, 40.0);
    static final ParetoPoint S50 = point("structured-0.5", 14.0, 500, 0.0110, 0.0005, 700, 15, 450, 40.0);

    @Test
    void noiseIsATieSoItNeverPutsARunOnTheFront() {
        var front = ParetoFront.of(List.of(DENSE, NOISY, W50, S30, S50));
        // NOISY looks faster and leaner than dense by its means, but both intervals overlap dense's: dense has
        // the better perplexity and ties elsewhere, so it dominates NOISY (and W50).
        assertEquals(List.of(DENSE, S30, S50), front.points());
        assertEquals(List.of("perplexity", "sizeBytes", "decodeJoulesPerToken", "decodeTokensPerSecond"),
                front.objectives(), "no pairs: the absolute figures");
    }

    /** The same point measured paired with dense in its window: ratio and speed-up +- half widths. */
    static ParetoPoint paired(ParetoPoint p, double ratio, double ratioHalf, double speedup, double speedupHalf) {
        return new ParetoPoint(p.runId(), p.label(), p.perplexity(), p.sizeBytes(), p.decodeJoulesPerToken(),
                p.decodeTokensPerSecond(), p.peakRssBytes(), p.pruneJoules(), DENSE.runId(),
                new MeanInterval(ratio, ratio - ratioHalf, ratio + ratioHalf, 12, 0.95),
                new MeanInterval(speedup, speedup - speedupHalf, speedup + speedupHalf, 12, 0.95));
    }

    @Test
    void pairedRatiosOutrankAbsoluteFiguresTheMachinesDriftMoved() {
        // Measured minutes apart, the machine slowed by 8%: absolute figures of two equal-compute runs look alike,
        // but in its own window each run was measured against dense, and there wanda-0.3 is the same as dense while
        // the structured run is 25% leaner; the ratios decide.
        ParetoPoint dense = DENSE.asReference();
        ParetoPoint noisy = paired(NOISY, 1.0, 0.02, 1.0, 0.02);
        ParetoPoint drifted = paired(point("structured-0.3", 11.0, 700, 0.0200, 0.0005, 410, 10, 500, 40.0),
                0.75, 0.02, 1.30, 0.03);
        var front = ParetoFront.of(List.of(dense, noisy, drifted));
        assertEquals(List.of("perplexity", "sizeBytes", "decodeEnergyRatio", "decodeSpeedup"), front.objectives());
        assertEquals(List.of(dense, drifted), front.points(), "the paired ratios put the structured run on the front");
        var rec = Recommender.recommend(List.of(dense, noisy, drifted), dense, 10.0, Constraints.perplexityOnly(0.1))
                .orElseThrow();
        assertEquals(drifted, rec.choice());
        assertTrue(rec.reason().contains("0.75x its J/token [0.73, 0.77] (less, paired in one window)"), rec.reason());
        VersusDense versus = VersusDense.of(drifted, dense);
        assertTrue(versus.paired());
        assertEquals("higher", versus.decodeSpeedup().verdict());
        // 40 J / (0.020 x (1 - 0.75)) J per token
        assertEquals(8000, versus.breakEvenTokens(), 1e-6);
    }

    @Test
    void equalRunsAreBothKeptAndMissingAxesAreLeftOut() {
        ParetoPoint twin = point("twin", 14.0, 500, 0.0110, 0.0005, 700, 15, 450, 40.0);
        assertEquals(List.of(S50, twin), ParetoFront.of(List.of(S50, twin)).points());
        ParetoPoint unmeasured = new ParetoPoint("n", "n", 11.0, 1000L, null, null, null, null);
        var front = ParetoFront.of(List.of(DENSE, unmeasured, W50));
        assertEquals(List.of("perplexity", "sizeBytes"), front.objectives());
        assertEquals(List.of(DENSE), front.points(), "on perplexity and size alone dense dominates both");
    }

    @Test
    void aPrunedRunThatIsReallyLeanerWinsUnderAPermissiveLimit() {
        List<ParetoPoint> all = List.of(DENSE, NOISY, W50, S30, S50);
        var rec = Recommender.recommend(all, DENSE, 10.0, Constraints.perplexityOnly(0.10)).orElseThrow();
        assertEquals(11.0, rec.perplexityLimit(), 1e-12);
        assertEquals(S30, rec.choice());
        assertEquals(List.of(S30, NOISY, DENSE), rec.admissible(),
                "after S30 by J/token: NOISY (lower mean), then dense");
        assertTrue(rec.reason().startsWith("structured-0.3: decode 1.30x dense's speed [1.24, 1.36] (faster), 0.75x its "
                + "J/token [0.69, 0.82] (less)"), rec.reason());
        assertTrue(rec.reason().endsWith("the lowest decode energy of the 3 admissible runs, outside the noise"),
                rec.reason());
    }

    @Test
    void withinTheNoiseTheBetterPerplexityDecides() {
        // dense and NOISY admissible; NOISY has the lower mean J/token, but the intervals overlap.
        var rec = Recommender.recommend(List.of(DENSE, NOISY, W50, S30, S50), DENSE, 10.0,
                Constraints.perplexityOnly(0.06)).orElseThrow();
        assertEquals(DENSE, rec.choice());
        assertTrue(rec.reason().contains("of the 2 admissible runs with the lowest decode energy (intervals overlapping), "
                + "the lowest perplexity"), rec.reason());
    }

    @Test
    void speedAndMemoryConstraintsUseTheIntervalsLowerBoundAndThePeak() {
        List<ParetoPoint> all = List.of(DENSE, NOISY, W50, S30, S50);
        // S30's speed-up lower bound is 510 / 410 = 1.24; S50's is 685 / 410 = 1.67.
        var fast = Recommender.recommend(all, DENSE, 10.0, new Constraints(0.5, 1.5, null)).orElseThrow();
        assertEquals(S50, fast.choice());
        assertEquals(List.of(S50), fast.admissible());
        assertTrue(fast.reason().contains("speed-up >= 1.50"), fast.reason());
        // NOISY's speed-up lower bound is 390 / 410 < 1: refused at a minimum of 1; dense's own speed-up is exactly 1.
        var atLeastDense = Recommender.recommend(List.of(DENSE, NOISY), DENSE, 10.0, new Constraints(0.5, 1.0, null))
                .orElseThrow();
        assertEquals(List.of(DENSE), atLeastDense.admissible());
        var small = Recommender.recommend(all, DENSE, 10.0, new Constraints(0.5, null, 460.0)).orElseThrow();
        assertEquals(List.of(S50), small.admissible(), "only S50 peaked at or under 460 MiB");
    }

    @Test
    void withoutAnEnergyStageTheSmallestModelThenPerplexityDecides() {
        ParetoPoint dense = new ParetoPoint("d", "dense", 10.0, 1000L, null, null, null, null);
        ParetoPoint small = new ParetoPoint("s", "structured", 10.9, 700L, null, null, null, null);
        var rec = Recommender.recommend(List.of(dense, small), dense, 10.0, Constraints.perplexityOnly(0.1))
                .orElseThrow();
        assertEquals(small, rec.choice());
        assertTrue(rec.reason().contains("no energy stage measured"), rec.reason());
    }

    @Test
    void speedupsAndBreakEvenAgainstDense() {
        VersusDense itself = VersusDense.of(DENSE, DENSE);
        assertEquals(new Ratio(1, 1, 1, Ratio.NO_DIFFERENCE), itself.decodeSpeedup(), "dense against itself is exactly 1");

        VersusDense s30 = VersusDense.of(S30, DENSE);
        assertEquals(1.3, s30.decodeSpeedup().estimate(), 1e-12);
        assertEquals(510 / 410.0, s30.decodeSpeedup().low(), 1e-12);
        assertEquals(530 / 390.0, s30.decodeSpeedup().high(), 1e-12);
        assertEquals("higher", s30.decodeSpeedup().verdict());
        assertEquals("lower", s30.decodeEnergyRatio().verdict());
        // 40 J of pruning / (0.020 - 0.015) J saved per token
        assertEquals(8000, s30.breakEvenTokens(), 1e-6);

        VersusDense noisy = VersusDense.of(NOISY, DENSE);
        assertEquals(Ratio.NO_DIFFERENCE, noisy.decodeSpeedup().verdict());
        assertNull(noisy.breakEvenTokens(), "a J/token inside dense's noise never pays its pruning back");
        assertTrue(noisy.breakEvenNote().contains("never"), noisy.breakEvenNote());
    }
}
