package dev.prunelab.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
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

    /**
     * A machine of {@code cores} cores whose /proc samples the test scripts: each {@link #sample} is the next one,
     * {@code nowNanos} is its clock; pauses are recorded (not slept) and move the clock.
     */
    static final class FakeMachine implements ThreadPolicy.Machine {
        final int cores;
        final Deque<ThreadPolicy.Sample> samples = new ArrayDeque<>();
        final List<Long> pausesMillis = new ArrayList<>();
        long nowNanos;

        FakeMachine(int cores) {
            this.cores = cores;
        }

        /** Queues a sample of the host's idle and total jiffies and this process's own, stamped now. */
        FakeMachine then(long idleJiffies, long totalJiffies, long ownJiffies) {
            samples.add(new ThreadPolicy.Sample(new HostCpu.Times(idleJiffies, totalJiffies), ownJiffies, nowNanos));
            return this;
        }

        @Override
        public int cores() {
            return cores;
        }

        @Override
        public ThreadPolicy.Sample sample() throws IOException {
            ThreadPolicy.Sample next = samples.poll();
            if (next == null) {
                throw new IOException("no /proc/stat here");
            }
            return new ThreadPolicy.Sample(next.host(), next.ownJiffies(), nowNanos);
        }

        @Override
        public long nanoTime() {
            return nowNanos;
        }

        @Override
        public void pause(long millis) {
            pausesMillis.add(millis);
            nowNanos += millis * 1_000_000;
        }
    }

    /**
     * 2 cores, 100 jiffies each between the samples (so 200 on the aggregate line), of which other processes were
     * busy {@code othersBusyJiffies} and this one {@code ownBusyJiffies}: the threads auto chooses.
     */
    private static int twoCores(long othersBusyJiffies, long ownBusyJiffies) {
        FakeMachine machine = new FakeMachine(2)
                .then(1_000, 2_000, 500)
                .then(1_000 + 200 - othersBusyJiffies - ownBusyJiffies, 2_200, 500 + ownBusyJiffies);
        int threads = ThreadPolicy.idleCores(machine);
        assertEquals(List.of(ThreadPolicy.SAMPLE_MILLIS), machine.pausesMillis, "one pause between two samples");
        assertTrue(machine.samples.isEmpty());
        return threads;
    }

    @Test
    void autoCountsTheCoresOtherProcessesLeaveIdle() {
        assertEquals(2, twoCores(0, 0), "both idle: two threads");
        assertEquals(1, twoCores(30, 0), "another process busy on 0.3 of a core: one thread");
        assertEquals(2, twoCores(20, 0), "busy on 0.2 of a core: the core still counts as idle");
        assertEquals(1, twoCores(200, 0), "both busy: still one thread");
        assertEquals(2, twoCores(0, 200), "this process's own work is not another's");
        assertEquals(1, twoCores(100, 100), "one core ours, one core another's: the other's is not idle");
    }

    @Test
    void withoutProcOrWithoutTimePassingAutoUsesEveryCore() {
        assertEquals(4, ThreadPolicy.idleCores(new FakeMachine(4)), "no /proc/stat");
        assertEquals(4, ThreadPolicy.idleCores(new FakeMachine(4).then(10, 100, 0).then(10, 100, 0)),
                "no jiffies passed between the samples");
    }

    @Test
    void anExplicitCountIsTakenAsItIsAndAutoAsksTheIdleCores() {
        assertEquals(3, ThreadPolicy.resolve(3, () -> {
            throw new AssertionError("an explicit count does not sample the machine");
        }));
        assertEquals(1, ThreadPolicy.resolve(ThreadPolicy.AUTO, () -> ThreadPolicy.idleCores(
                new FakeMachine(2).then(1_000, 2_000, 0).then(1_000 + 200 - 30, 2_200, 0))));
        assertEquals(5, ThreadPolicy.resolve(ThreadPolicy.AUTO, () -> 5));
        assertEquals(3, ThreadPolicy.resolve(3));
        assertThrows(IllegalArgumentException.class, () -> ThreadPolicy.resolve(-1));
    }

    @Test
    void aSampleBegunBeforeAJobsPreparationIsUsedInsteadOfAPauseWhenRecent() {
        long ms = 1_000_000;
        assertEquals(ThreadPolicy.SAMPLE_MILLIS, ThreadPolicy.remainingMillis(0, 0));    // just begun: the whole window
        assertEquals(ThreadPolicy.SAMPLE_MILLIS - 40, ThreadPolicy.remainingMillis(0, 40 * ms));
        assertEquals(0, ThreadPolicy.remainingMillis(0, 2_000 * ms));                    // loading took 2 s: no pause
        assertEquals(-1, ThreadPolicy.remainingMillis(0, (ThreadPolicy.MAX_WINDOW_MILLIS + 1) * ms)); // stale: afresh

        // begun, then 40 ms of preparation: 20 ms more complete the window, and the begun sample is its start
        // (were it not, the machine would have no second sample to give, and auto would fall back to every core)
        FakeMachine machine = new FakeMachine(2).then(1_000, 2_000, 0).then(1_000 + 200 - 30, 2_200, 0);
        ThreadPolicy.beginSample(machine);
        machine.nowNanos += 40 * ms;
        assertEquals(1, ThreadPolicy.idleCores(machine));
        assertEquals(List.of(ThreadPolicy.SAMPLE_MILLIS - 40), machine.pausesMillis);

        // begun, then a preparation of 2 s: no pause at all
        FakeMachine loaded = new FakeMachine(2).then(1_000, 2_000, 0).then(1_000 + 400 - 120, 2_400, 0);
        ThreadPolicy.beginSample(loaded);
        loaded.nowNanos += 2_000 * ms;
        assertEquals(1, ThreadPolicy.idleCores(loaded), "0.6 of a core busy over the preparation");
        assertEquals(List.of(), loaded.pausesMillis);

        // begun too long ago: sampled afresh over a whole window, the stale sample unused
        FakeMachine stale = new FakeMachine(2).then(0, 0, 0).then(1_000, 2_000, 0).then(1_000 + 200 - 30, 2_200, 0);
        ThreadPolicy.beginSample(stale);
        stale.nowNanos += (ThreadPolicy.MAX_WINDOW_MILLIS + 1) * ms;
        assertEquals(1, ThreadPolicy.idleCores(stale));
        assertEquals(List.of(ThreadPolicy.SAMPLE_MILLIS), stale.pausesMillis);
        assertTrue(stale.samples.isEmpty(), "two fresh samples were taken");

        // a begun sample is used once
        FakeMachine again = new FakeMachine(2).then(1_000, 2_000, 0).then(1_000 + 200, 2_200, 0);
        assertEquals(2, ThreadPolicy.idleCores(again));
        assertEquals(List.of(ThreadPolicy.SAMPLE_MILLIS), again.pausesMillis, "no sample was begun: a whole window");
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
