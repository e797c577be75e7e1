package dev.prunelab.pruner.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.EnergyUse;
import dev.prunelab.events.Event;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.RunRequested;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.measure.PowerModel;
import dev.prunelab.pruner.app.Pruner;
import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.work.ArtifactStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prune shares the host with the evaluator's energy windows: it does no work while a window is open and pauses at
 * its next block boundary when one opens; and it reports its own energy, which a redelivery re-publishes.
 *
 * <p>No step waits for "long enough": the test knows where the prune is (parked on the host lock, or inside its
 * observer's first progress call) and checks the lock's invariant at every block the prune reports: no block ends
 * while the test holds a window. Each wait is on a condition, with {@link #LIMIT} as its limit.
 */
@Timeout(600) // a safety net against a deadlock; every wait below has its own limit
class PrunerMeasurementWindowTest {
    /** How long a wait on a condition may take on a loaded machine before the test gives up. */
    static final Duration LIMIT = Duration.ofSeconds(120);

    @TempDir
    Path temp;

    /** What the prune reports, checked against the window the test holds. */
    static final class WindowWatch implements Pruner.Observer {
        final AtomicBoolean windowHeld = new AtomicBoolean();
        final List<Boolean> windowHeldAtProgress = new CopyOnWriteArrayList<>();
        final AtomicReference<Thread> pruneThread = new AtomicReference<>();
        /** The thread that reports blocks and pauses between them (it may be a pool thread, not the prune's). */
        final AtomicReference<Thread> progressThread = new AtomicReference<>();
        final CountDownLatch started = new CountDownLatch(1);
        /** When set, the first progress call waits (inside a block's share of the host) until this holds. */
        volatile BooleanSupplier holdFirstProgressUntil;
        final CountDownLatch firstProgress = new CountDownLatch(1);

        @Override
        public void started(RunRequested request) {
            pruneThread.set(Thread.currentThread());
            started.countDown();
        }

        @Override
        public void progress(RunProgress progress) {
            windowHeldAtProgress.add(windowHeld.get());
            progressThread.set(Thread.currentThread());
            BooleanSupplier until = holdFirstProgressUntil;
            if (until != null && firstProgress.getCount() > 0) {
                firstProgress.countDown();
                awaitCondition("the test to ask for a window", until);
            }
        }

        int progressCount() {
            return windowHeldAtProgress.size();
        }
    }

    @Test
    void noBlockRunsInsideAMeasurementWindow() throws Exception {
        HostWorkLock lock = HostWorkLock.at(temp.resolve("host-lock"));
        // the estimate, whatever counters this machine has: the powercap folder does not exist
        PowerModel model = PowerModel.CCF_AWS;
        Pruner pruner = new Pruner(new ArtifactStore(temp.resolve("artifacts")),
                PrunerTest.roots(temp), Clock.systemUTC(), 1,
                new EnergyCounters("auto", temp.resolve("no-powercap"), model), lock, null);
        RunRequested request = PrunerTest.request("window-wanda", null, PrunerTest.stories(),
                PruneSpec.unstructured(PruneMethod.WANDA, 0.5));

        // 1. A window open before the prune starts: the prune waits for it before its first block.
        WindowWatch first = new WindowWatch();
        CompletableFuture<Event> result;
        long submittedNanos;
        try (HostWorkLock.Hold window = lock.measurementWindow()) {
            first.windowHeld.set(true);
            submittedNanos = System.nanoTime();
            result = CompletableFuture.supplyAsync(() -> pruner.process(request, first));
            assertTrue(first.started.await(LIMIT.toSeconds(), TimeUnit.SECONDS), "the prune did not start");
            Thread prune = first.pruneThread.get();
            awaitCondition("the prune to wait on the host lock", () -> waitsOnTheHostLock(prune));
            assertEquals(0, first.progressCount(), "the prune worked inside an open measurement window");
            first.windowHeld.set(false);
        }
        Event outcome = result.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        double observedSeconds = (System.nanoTime() - submittedNanos) / 1e9;
        ModelPruned pruned = assertInstanceOf(ModelPruned.class, outcome, outcome::toString);
        assertTrue(first.progressCount() > 0, "the prune reported its blocks once the window closed");
        assertTrue(first.windowHeldAtProgress.stream().noneMatch(held -> held), "a block ended inside the window");

        EnergyUse energy = pruned.energy();
        assertNotNull(energy, "the pruner's own energy");
        assertEquals(EnergySource.ESTIMATE, energy.source(), "no powercap folder: the configured estimate");
        assertTrue(Double.isFinite(energy.joules()) && energy.joules() >= 0, energy.toString());
        assertTrue(Double.isFinite(energy.cpuSeconds()) && energy.cpuSeconds() >= 0, energy.toString());
        // the estimate's idle share is the model's idle over full watts per core: net = gross x (1 - idle/full)
        assertEquals(energy.joules() * (1 - model.idleWattsPerCore() / model.fullWattsPerCore()), energy.netJoules(),
                1e-9 * (1 + energy.joules()), energy.toString());
        // the run's seconds lie inside what this test saw between submitting it and its result
        assertTrue(energy.seconds() >= 0 && energy.seconds() <= observedSeconds,
                energy.seconds() + " s reported, " + observedSeconds + " s observed");

        // 2. A window asked for mid-prune: it opens once the block under way ends, and the prune waits for it.
        RunRequested second = PrunerTest.request("window-wanda-2", null, PrunerTest.stories(),
                PruneSpec.unstructured(PruneMethod.WANDA, 0.6));
        WindowWatch mid = new WindowWatch();
        // the first progress call (inside the prune's share of the host) returns only once the window is asked for,
        // so the window always arrives mid-prune, however fast the machine
        mid.holdFirstProgressUntil = lock::windowPendingInThisJvm;
        CompletableFuture<Event> running = CompletableFuture.supplyAsync(() -> pruner.process(second, mid));
        assertTrue(mid.firstProgress.await(LIMIT.toSeconds(), TimeUnit.SECONDS), "the prune reported no block");
        int seenWhenOpened;
        try (HostWorkLock.Hold window = lock.measurementWindow()) {
            mid.windowHeld.set(true);
            seenWhenOpened = mid.progressCount();
            Thread prune = mid.progressThread.get();
            awaitCondition("the prune to pause on the host lock", () -> waitsOnTheHostLock(prune));
            assertEquals(seenWhenOpened, mid.progressCount(), "a block ran inside the window");
            mid.windowHeld.set(false);
        }
        assertInstanceOf(ModelPruned.class, running.get(LIMIT.toSeconds(), TimeUnit.SECONDS));
        assertTrue(mid.progressCount() > seenWhenOpened, "the prune went on after the window");
        assertTrue(mid.windowHeldAtProgress.stream().noneMatch(held -> held), "a block ended inside the window");

        // 3. Redelivered: the stored energy comes back with the stored artifact.
        ModelPruned again = assertInstanceOf(ModelPruned.class, pruner.process(request, Pruner.Observer.NONE));
        assertEquals(pruned.energy(), again.energy());
        assertEquals(pruned.artifact(), again.artifact());
    }

    /** The thread is parked inside the host lock's {@code work()}: waiting for the window to close. */
    static boolean waitsOnTheHostLock(Thread thread) {
        Thread.State state = thread.getState();
        return (state == Thread.State.WAITING || state == Thread.State.BLOCKED)
                && Arrays.stream(thread.getStackTrace()).anyMatch(frame ->
                        frame.getClassName().startsWith(HostWorkLock.class.getName())
                                && frame.getMethodName().equals("work"));
    }

    /** Polls until {@code condition} holds; fails after {@link #LIMIT}. */
    static void awaitCondition(String what, BooleanSupplier condition) {
        long end = System.nanoTime() + LIMIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("gave up waiting for " + what + " after " + LIMIT.toSeconds() + " s");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }
}
