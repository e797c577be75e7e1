package dev.prunelab.pruner.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.ArtifactStore;
import dev.prunelab.events.Event;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.RunRequested;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.pruner.app.RunProcessor;
import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.vocabulary.PruneMethod;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prune shares the host with the evaluator's energy windows: it does no work while a window is open and pauses at
 * its next block boundary when one opens; and it reports its own energy, which a redelivery re-publishes.
 */
@Timeout(120)
class RunProcessorMeasurementWindowTest {

    @TempDir
    Path temp;

    @Test
    void noBlockRunsInsideAMeasurementWindow() throws Exception {
        HostWorkLock lock = HostWorkLock.at(temp.resolve("host-lock"));
        RunProcessor processor = new RunProcessor(new ArtifactStore(temp.resolve("artifacts")),
                RunProcessorTest.roots(temp), Clock.systemUTC(), 1,
                EnergyCounters.auto(), lock);
        RunRequested request = RunProcessorTest.request("window-wanda", null, RunProcessorTest.stories(),
                PruneSpec.unstructured(PruneMethod.WANDA, 0.5));
        List<long[]> progressAt = new CopyOnWriteArrayList<>(); // {nanoTime}
        RunProcessor.Observer observer = new RunProcessor.Observer() {
            @Override
            public void progress(RunProgress progress) {
                progressAt.add(new long[] {System.nanoTime()});
            }
        };
        CompletableFuture<Event> result;
        long closedAt;
        try (HostWorkLock.Hold window = lock.measurementWindow()) {
            result = CompletableFuture.supplyAsync(() -> processor.process(request, observer));
            Thread.sleep(1500);
            assertTrue(progressAt.isEmpty(), "the prune worked inside an open measurement window");
            closedAt = System.nanoTime();
        }
        Event outcome = result.get(60, TimeUnit.SECONDS);
        ModelPruned pruned = assertInstanceOf(ModelPruned.class, outcome, outcome::toString);
        assertTrue(progressAt.get(0)[0] >= closedAt, "work started before the window closed");
        assertNotNull(pruned.energy(), "the pruner's own energy");
        assertEquals(EnergySource.ESTIMATE, pruned.energy().source(), "this machine has no RAPL");
        assertTrue(pruned.energy().joules() > 0 && pruned.energy().netJoules() < pruned.energy().joules());
        assertTrue(pruned.energy().cpuSeconds() > 0);
        assertTrue(pruned.energy().seconds() < 1.5 + 60, pruned.energy().toString());

        // A window opened mid-prune waits for the block under way, then the prune waits for the window.
        RunRequested second = RunProcessorTest.request("window-wanda-2", null, RunProcessorTest.stories(),
                PruneSpec.unstructured(PruneMethod.WANDA, 0.6));
        progressAt.clear();
        CompletableFuture<Event> running = CompletableFuture.supplyAsync(() -> processor.process(second, observer));
        while (progressAt.isEmpty()) {
            Thread.sleep(5);
        }
        long openedAt;
        long secondClosedAt;
        int seenWhenOpened;
        try (HostWorkLock.Hold window = lock.measurementWindow()) {
            openedAt = System.nanoTime();
            seenWhenOpened = progressAt.size();
            Thread.sleep(800);
            assertEquals(seenWhenOpened, progressAt.size(), "a block ran inside the window");
            secondClosedAt = System.nanoTime();
        }
        assertInstanceOf(ModelPruned.class, running.get(60, TimeUnit.SECONDS));
        assertTrue(progressAt.stream().skip(seenWhenOpened).allMatch(t -> t[0] >= secondClosedAt || t[0] < openedAt));

        // Redelivered: the stored energy comes back with the stored artifact.
        ModelPruned again = assertInstanceOf(ModelPruned.class, processor.process(request, RunProcessor.Observer.NONE));
        assertEquals(pruned.energy(), again.energy());
        assertEquals(pruned.artifact(), again.artifact());
    }
}
