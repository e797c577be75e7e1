package dev.prunelab.gateway;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplayCatchUpTest {

    @Test
    void readyOnlyOnceEveryPartitionWithRecordsWasReadToItsEndAtStart() {
        ReplayCatchUp catchUp = new ReplayCatchUp();
        assertFalse(catchUp.caughtUp(), "end offsets not known yet");
        catchUp.consumed("prunelab.run.requested", 0, 3);
        catchUp.target(Map.of(
                "prunelab.run.requested/0", new long[] {0, 5},
                "prunelab.power.sample/0", new long[] {100, 200}, // older records deleted by retention
                "prunelab.sweep.cancelled/0", new long[] {7, 7})); // nothing left to read
        assertFalse(catchUp.caughtUp());
        catchUp.consumed("prunelab.run.requested", 0, 4);
        catchUp.consumed("prunelab.power.sample", 0, 198);
        assertFalse(catchUp.caughtUp());
        assertTrue(catchUp.describe().contains("1 of 2"));
        catchUp.consumed("prunelab.power.sample", 0, 199);
        assertTrue(catchUp.caughtUp());
        catchUp.consumed("prunelab.power.sample", 0, 150); // a redelivery of an older record
        assertTrue(catchUp.caughtUp(), "stays caught up");
    }

    @Test
    void nothingToReplayIsReadyAtOnce() {
        ReplayCatchUp empty = new ReplayCatchUp();
        empty.target(Map.of());
        assertTrue(empty.caughtUp());
        ReplayCatchUp skipped = new ReplayCatchUp();
        skipped.skip();
        assertTrue(skipped.caughtUp());
    }
}
