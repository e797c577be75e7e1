package dev.prunelab.evaluation.energy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The window rule: every energy window spans at least four update periods of its counter, or it is refused. */
class PhasePassesTest {

    @Test
    void aCounterThatChangesContinuouslyNeedsOnePassOfEach() {
        assertSame(PhasePasses.ONE, PhasePasses.covering(0, 1e-6, 1e-6));
        assertEquals(1, PhasePasses.ONE.prefill());
        assertEquals(1, PhasePasses.ONE.decode());
    }

    @Test
    void aShortPhaseIsReadOverEnoughPassesToSpanFourPeriods() {
        // NVML every 50 ms: a window of 200 ms. A 1 ms prefill needs 200 passes, a 150 ms decode 2, a 250 ms one 1.
        PhasePasses passes = PhasePasses.covering(0.050, 0.001, 0.150);
        assertEquals(200, passes.prefill());
        assertEquals(2, passes.decode());
        assertEquals("counter update period 50.0 ms: each energy window spans at least 4 periods (200 ms): prefill read "
                + "over 200 pass(es) per repeat (1.00 ms each), decode over 2 (150.0 ms each); joules and seconds "
                + "divided by the passes", passes.note());
        assertEquals(1, PhasePasses.covering(0.050, 0.3, 0.25).prefill());
        assertEquals("counter update period 50.0 ms: each energy window spans at least 4 periods (200 ms): one pass of "
                + "each phase already does", PhasePasses.covering(0.050, 0.3, 0.25).note());
        assertEquals(3, PhasePasses.covering(0.050, 0.07, 0.25).prefill(), "3 x 70 ms is the first to reach 200 ms");
    }

    @Test
    void aPhaseTooShortEvenOverTheMostPassesIsRefusedInOneLine() {
        PhasePasses.Refused refused = assertThrows(PhasePasses.Refused.class,
                () -> PhasePasses.covering(0.100, 0.0002, 0.5));
        assertEquals("refused: the prefill phase (0.200 ms a pass) would need more than 1000 passes per repeat to span 4 "
                + "update periods of the counter (100.0 ms each); measure a longer prompt or a larger batch",
                refused.getMessage());
        PhasePasses.Refused untimed = assertThrows(PhasePasses.Refused.class,
                () -> PhasePasses.covering(0.100, 0.01, 0));
        assertEquals("refused: the decode phase (0.000 ms a pass) would need more than 1000 passes per repeat to span "
                + "4 update periods of the counter (100.0 ms each); measure more decode tokens or a larger batch",
                untimed.getMessage());
    }

    @Test
    void theIdleBaselineIsLengthenedToTheWindowRuleUnlessItWasNotAskedFor() {
        assertEquals(2.0, PhasePasses.baselineSeconds(2.0, 0.050));
        assertEquals(0.2, PhasePasses.baselineSeconds(0.1, 0.050), 1e-15);
        assertEquals(0.0, PhasePasses.baselineSeconds(0.0, 0.050));
        assertEquals(0.1, PhasePasses.baselineSeconds(0.1, 0));
    }
}
