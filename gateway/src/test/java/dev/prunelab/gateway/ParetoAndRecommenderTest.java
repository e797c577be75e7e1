package dev.prunelab.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.measure.MeanInterval;
import dev.prunelab.measure.MedianInterval;
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
                new MeanInterval(speedup, speedup - speedupHalf, speedup + speedupHalf, 12, 0.95), null);
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
        var front = ParetoFront.of(List.of(dense, noisy, drifted), dense);
        assertEquals(List.of("perplexity", "sizeBytes", "decodeEnergyRatio", "decodeSpeedup"), front.objectives());
        assertEquals("energy and speed as each run's ratio to dense dense: every run paired with dense in its own window",
                front.note());
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
                + "J/token [0.69, 0.82] (less, unpaired: conservative, two windows)"), rec.reason());
        assertTrue(rec.reason().endsWith("the lowest decode energy of the 3 admissible runs, outside the noise"),
                rec.reason());
    }

    @Test
    void withinTheNoiseTheBetterPerplexityDecides() {
        // dense and NOISY admissible; NOISY has the lower mean J/token, but the intervals overlap.
        var rec = Recommender.recommend(List.of(DENSE, NOISY, W50, S30, S50), DENSE, 10.0,
                Constraints.perplexityOnly(0.06)).orElseThrow();
        assertEquals(DENSE, rec.choice());
        assertTrue(rec.reason().contains("of the 2 admissible runs no other beats on decode energy outside the noise, "
                + "the lowest perplexity"), rec.reason());
    }

    @Test
    void aSweepWithOneUnpairedRunKeepsTheOthersPairs() {
        // structured-0.3 was measured paired with dense in a window where the machine ran 8% slow: its absolute
        // J/token looks like dense's, its paired ratio says 25% less. wanda-0.3's evaluator measured it alone
        // ("measuring unpaired"): only it is compared conservatively, from two windows.
        ParetoPoint dense = DENSE.asReference();
        ParetoPoint structured = paired(point("structured-0.3", 10.8, 700, 0.0200, 0.0005, 410, 10, 500, 40.0),
                0.75, 0.02, 1.30, 0.03);
        List<ParetoPoint> all = List.of(dense, structured, NOISY);

        VersusDense pairedOne = VersusDense.of(structured, dense);
        assertTrue(pairedOne.paired());
        assertEquals(VersusDense.PAIRED, pairedOne.comparison());
        assertEquals(new Ratio(0.75, 0.75 - 0.02, 0.75 + 0.02, "lower"), pairedOne.decodeEnergyRatio());
        VersusDense alone = VersusDense.of(NOISY, dense);
        assertEquals(false, alone.paired());
        assertEquals(VersusDense.UNPAIRED, alone.comparison());
        assertEquals(0.0185 / 0.021, alone.decodeEnergyRatio().low(), 1e-12, "[low / dense high, high / dense low]");
        assertEquals(0.0205 / 0.019, alone.decodeEnergyRatio().high(), 1e-12);

        var front = ParetoFront.of(all, dense);
        assertEquals(List.of("perplexity", "sizeBytes", "decodeEnergyRatio", "decodeSpeedup"), front.objectives(),
                "one unpaired run does not turn the whole sweep to absolute figures");
        assertEquals("energy and speed as each run's ratio to dense dense: paired in its own window, except wanda-0.3 "
                + "(unpaired: conservative, from two windows)", front.note());
        assertEquals(List.of(dense, structured), front.points(), "dense's better perplexity dominates wanda-0.3");

        var rec = Recommender.recommend(all, dense, 10.0, Constraints.perplexityOnly(0.1)).orElseThrow();
        assertEquals(structured, rec.choice(), "its paired ratio is below dense's and wanda-0.3's outside the noise");
        assertTrue(rec.reason().contains("0.75x its J/token [0.73, 0.77] (less, paired in one window)"), rec.reason());
        assertTrue(rec.reason().endsWith("the lowest decode energy of the 3 admissible runs, outside the noise"),
                rec.reason());
    }

    @Test
    void theTieSetDoesNotHangOnWhoseMeanIsLowest() {
        // Paired ratios to dense. wide has the lowest mean but a wide interval; narrow is below steady outside the
        // noise (0.92 < 0.95) and below dense (0.92 < 1). Anchored on the lowest mean (wide), every run overlapped it
        // and the best perplexity, dense's, won; yet narrow beats dense outside the noise. Only wide and narrow are
        // beaten by no run: narrow has the better perplexity of the two.
        ParetoPoint dense = DENSE.asReference();
        ParetoPoint wide = paired(point("wide", 10.9, 700, 0.02, 0.001, 400, 10, 500, 40.0), 0.85, 0.25, 1.0, 0.01);
        ParetoPoint narrow = paired(point("narrow", 10.6, 700, 0.02, 0.001, 400, 10, 500, 40.0), 0.90, 0.02, 1.0, 0.01);
        ParetoPoint steady = paired(point("steady", 10.2, 700, 0.02, 0.001, 400, 10, 500, 40.0), 1.00, 0.05, 1.0, 0.01);
        var rec = Recommender.recommend(List.of(dense, wide, narrow, steady), dense, 10.0,
                Constraints.perplexityOnly(0.1)).orElseThrow();
        assertEquals(narrow, rec.choice());
        assertEquals(List.of(narrow, wide, dense, steady), rec.admissible(),
                "the tie set by perplexity, then the runs beaten outside the noise by their ratio (1.00 both: run id)");
        assertTrue(rec.reason().endsWith("of the 2 admissible runs no other beats on decode energy outside the noise, "
                + "the lowest perplexity"), rec.reason());
        assertTrue(Recommender.RULE.contains("no interval wholly below theirs"), Recommender.RULE);
    }

    @Test
    void aDenseFigureThatIsNotPositiveGivesNoRatioAndNoError() {
        // An older event's linear interval at n = 3 reaching below 0: dense's J/token divides nothing.
        ParetoPoint brokenDense = point("dense", 10.0, 1000, 0.0200, 0.0250, 400, 10, 600, 1.0);
        assertNull(Ratio.of(NOISY.decodeJoulesPerToken(), brokenDense.decodeJoulesPerToken()));
        VersusDense alone = VersusDense.of(NOISY, brokenDense);
        assertNull(alone.decodeEnergyRatio());
        assertNull(alone.breakEvenTokens());
        assertEquals("energy ratio: dense's decode J/token 0.02000 [-0.005000, 0.04500] reaches 0 or below: no ratio "
                + "to it", alone.note());
        assertEquals(Ratio.NO_DIFFERENCE, alone.decodeSpeedup().verdict(), "the speed-up is unaffected");
        ParetoPoint pairedRun = new ParetoPoint(S30.runId(), S30.label(), S30.perplexity(), S30.sizeBytes(),
                S30.decodeJoulesPerToken(), S30.decodeTokensPerSecond(), S30.peakRssBytes(), S30.pruneJoules(), "dense",
                new MeanInterval(0.75, 0.73, 0.77, 12, 0.95, MeanInterval.Scale.LOG),
                new MeanInterval(1.3, 1.27, 1.33, 12, 0.95, MeanInterval.Scale.LOG), null);
        assertEquals(new Ratio(0.75, 0.73, 0.77, "lower"), VersusDense.of(pairedRun, brokenDense).decodeEnergyRatio(),
                "a paired run keeps its own ratio");
        // The recommendation leaves out the run it cannot rank, and says so.
        var rec = Recommender.recommend(List.of(brokenDense, NOISY, pairedRun), brokenDense, 10.0,
                Constraints.perplexityOnly(0.1)).orElseThrow();
        assertEquals(pairedRun, rec.choice());
        assertTrue(rec.reason().endsWith("left out for want of an energy ratio to dense: wanda-0.3"), rec.reason());
        assertEquals(List.of("perplexity", "sizeBytes", "decodeEnergyRatio", "decodeSpeedup"),
                ParetoFront.of(List.of(brokenDense, NOISY, pairedRun), brokenDense).objectives());
    }

    @Test
    void aPairedRatioFromAnOlderEventThatReachesBelowZeroIsReadFromZero() {
        Ratio r = Ratio.measured(new MeanInterval(0.5, -0.2, 1.2, 3, 0.95));
        assertEquals(new Ratio(0.5, 0, 1.2, Ratio.NO_DIFFERENCE), r);
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
