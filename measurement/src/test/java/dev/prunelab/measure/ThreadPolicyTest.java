package dev.prunelab.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ThreadPolicyTest {

    @Test
    void aCoreCountsAsIdleWhenThreeQuartersOfItAre() {
        assertEquals(2, ThreadPolicy.idleCores(2, 0.0));
        assertEquals(2, ThreadPolicy.idleCores(2, 0.2));
        assertEquals(1, ThreadPolicy.idleCores(2, 0.3));   // the other core is busy a third of the time: one thread
        assertEquals(1, ThreadPolicy.idleCores(2, 1.0));
        assertEquals(1, ThreadPolicy.idleCores(2, 2.0));   // never fewer than one
        assertEquals(1, ThreadPolicy.idleCores(16, 40.0));
        assertEquals(12, ThreadPolicy.idleCores(16, 4.0));
    }

    @Test
    void anExplicitCountIsTakenAsItIsAndAutoGivesAtLeastOne() {
        assertEquals(3, ThreadPolicy.resolve(3));
        int auto = ThreadPolicy.resolve(ThreadPolicy.AUTO);
        assertTrue(auto >= 1 && auto <= Runtime.getRuntime().availableProcessors(), "auto chose " + auto);
        assertThrows(IllegalArgumentException.class, () -> ThreadPolicy.resolve(-1));
    }

    @Test
    void aSampleBegunBeforeAJobsPreparationIsUsedInsteadOfAPauseWhenRecent() {
        long ms = 1_000_000;
        assertEquals(ThreadPolicy.SAMPLE_MILLIS, ThreadPolicy.remainingMillis(0, 0));    // just begun: the whole window
        assertEquals(ThreadPolicy.SAMPLE_MILLIS - 40, ThreadPolicy.remainingMillis(0, 40 * ms));
        assertEquals(0, ThreadPolicy.remainingMillis(0, 2_000 * ms));                    // loading took 2 s: no pause
        assertEquals(-1, ThreadPolicy.remainingMillis(0, (ThreadPolicy.MAX_WINDOW_MILLIS + 1) * ms)); // stale: afresh
        ThreadPolicy.beginSample();
        int auto = ThreadPolicy.resolve(ThreadPolicy.AUTO);
        assertTrue(auto >= 1 && auto <= Runtime.getRuntime().availableProcessors(), "auto chose " + auto);
    }

    @Test
    void parallelStreamsInsideThePoolUseOnlyItsThreads() {
        Set<String> names = ConcurrentHashMap.newKeySet();
        long sum = ThreadPolicy.inPool(1, () -> IntStream.range(0, 10_000).parallel()
                .peek(i -> names.add(Thread.currentThread().getName())).asLongStream().sum());
        assertEquals(49_995_000L, sum);
        assertEquals(1, names.size(), "one worker, threads seen: " + names);
        assertTrue(names.iterator().next().contains("ForkJoinPool-"), "not the common pool: " + names);
    }

    @Test
    void exceptionsReachTheCallerUnchanged() {
        IllegalArgumentException thrown = new IllegalArgumentException("bad");
        assertSame(thrown, assertThrows(IllegalArgumentException.class,
                () -> ThreadPolicy.inPool(2, () -> {
                    throw thrown;
                })));
        assertThrows(IllegalArgumentException.class, () -> ThreadPolicy.inPool(0, () -> 1));
    }
}
