package dev.prunelab.pruner.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.CalibrationSpec;
import dev.prunelab.events.Event;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SweepCancelled;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.pruner.app.Pruner;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.work.ArtifactStore;
import dev.prunelab.work.InputRoots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The request -> prune -> artifact core on the shipped stories260K, without Quarkus or Kafka. */
class PrunerTest {
    static final Instant T = Instant.parse("2026-01-31T12:00:00Z");

    @TempDir
    Path temp;

    static RunRequested request(String runId, String sweepId, String modelPath, PruneSpec prune) {
        return new RunRequested(runId, T, sweepId, new ModelRef(modelPath, null), prune,
                new CalibrationSpec(null, 2, 32, 0L), null);
    }

    static String stories() {
        return SharedData.path("models/stories260K/stories260K.bin").toString();
    }

    /** The shipped data and this test's temporary folder (as the models root) are where requests may point. */
    static InputRoots roots(Path models) {
        return InputRoots.of(models.toString(), SharedData.root().toString(), Optional.empty());
    }

    private Pruner pruner(ArtifactStore store) {
        return new Pruner(store, roots(temp), Clock.systemUTC(), 1);
    }

    /** The store's entries but its own bookkeeping (claims, recorded outcomes). */
    static List<Path> artifacts(ArtifactStore store) throws Exception {
        try (Stream<Path> entries = Files.list(store.root())) {
            return entries.filter(p -> !p.getFileName().toString().equals(".claims")
                    && !p.getFileName().toString().equals(".outcomes")).toList();
        }
    }

    /** Records what the pruner reports. */
    static final class Recorder implements Pruner.Observer {
        final List<RunProgress> progress = new ArrayList<>();
        int started;

        @Override
        public void started(RunRequested request) {
            started++;
        }

        @Override
        public void progress(RunProgress event) {
            progress.add(event);
        }
    }

    @Test
    void prunesIntoTheStoreOnceAndRepublishesTheSameArtifactForTheSameRunId() throws Exception {
        ArtifactStore store = new ArtifactStore(temp.resolve("artifacts"));
        Pruner pruner = pruner(store);
        RunRequested request = request("stories-magnitude-50", null, stories(),
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5));

        Recorder first = new Recorder();
        ModelPruned pruned = assertInstanceOf(ModelPruned.class, pruner.process(request, first));

        Path artifact = store.verify(pruned.artifact());
        assertEquals(store.root().resolve("stories-magnitude-50"), artifact);
        assertTrue(Files.isRegularFile(artifact.resolve("model.onnx")));
        assertTrue(Files.isRegularFile(artifact.resolve("prune-report.json")));
        assertEquals(List.of(artifact), artifacts(store), "no staging or scratch files left in the store");
        assertEquals("magnitude", pruned.report().method());
        assertEquals("magnitude 0.5", pruned.report().label());
        assertEquals(0.5, pruned.report().requestedSparsity());
        assertEquals(0.5, pruned.report().achievedSparsity(), 0.01);
        long parameters = pruned.report().parameterCount();
        long nonZero = pruned.report().nonZeroParameterCount();
        assertTrue(parameters > 200_000 && nonZero < parameters && nonZero > parameters / 3,
                parameters + " parameters, " + nonZero + " non-zero");
        Double seconds = pruned.report().seconds(); // a wall-clock figure: present and sane, its size is the machine's
        assertNotNull(seconds, "the report's total seconds");
        assertTrue(Double.isFinite(seconds) && seconds >= 0, "total seconds " + seconds);
        assertEquals(request.evaluation(), pruned.evaluation());

        assertEquals(1, first.started);
        List<String> stages = first.progress.stream().map(p -> p.stage().id()).distinct().toList();
        assertEquals(List.of("prune", "export"), stages, "uniform magnitude needs no calibration pass");
        assertEquals(1.0, first.progress.get(first.progress.size() - 1).fraction());
        assertTrue(first.progress.stream().anyMatch(p -> "block 5 of 5".equals(p.message())),
                "one progress event per decoder block");

        Path model = artifact.resolve("model.onnx");
        long modified = Files.getLastModifiedTime(model).toMillis();
        Recorder second = new Recorder();
        ModelPruned again = assertInstanceOf(ModelPruned.class, pruner.process(request, second));
        assertEquals(0, second.started, "the second delivery must not prune again");
        assertTrue(second.progress.isEmpty());
        assertEquals(pruned, again, "the recorded model.pruned itself, so the same CloudEvents id");
        assertEquals(modified, Files.getLastModifiedTime(model).toMillis());
    }

    @Test
    void anArtifactPrunedBeforeItsOutcomeWasRecordedIsSummarisedFromItsStoredReportAsWhenItWasPruned()
            throws Exception {
        ArtifactStore store = new ArtifactStore(temp.resolve("artifacts"));
        RunRequested request = request("stories-wanda-24", null, stories(), PruneSpec.nm(PruneMethod.WANDA, "2:4"));
        ModelPruned pruned = assertInstanceOf(ModelPruned.class, pruner(store).process(request, new Recorder()));
        assertEquals(5, pruned.report().layers().size(), "one figure per decoder layer, from the engine's report");
        for (int layer = 0; layer < 5; layer++) {
            assertEquals(layer, pruned.report().layers().get(layer).layer());
            assertEquals(0.5, pruned.report().layers().get(layer).removed(), 1e-9);
        }
        // killed between commit and record: the redelivery rebuilds model.pruned from the stored report
        Files.delete(store.root().resolve(".outcomes/prune-stories-wanda-24.json"));
        Recorder again = new Recorder();
        ModelPruned rebuilt = assertInstanceOf(ModelPruned.class, pruner(store).process(request, again));
        assertEquals(0, again.started, "the committed artifact is not pruned again");
        assertEquals(pruned.report(), rebuilt.report());
        assertEquals(pruned.artifact(), rebuilt.artifact());
    }

    @Test
    void aMissingModelFailsValidationNamingThePathRelativeToItsRoot() {
        Pruner pruner = pruner(new ArtifactStore(temp.resolve("artifacts")));
        String missing = temp.resolve("no-such-model.bin").toString();
        RunFailed failed = assertInstanceOf(RunFailed.class, pruner.process(
                request("run-missing", null, missing, PruneSpec.unstructured(PruneMethod.WANDA, 0.5)),
                Pruner.Observer.NONE));
        assertEquals(RunStage.VALIDATE, failed.stage());
        assertEquals("model.path: models:no-such-model.bin does not exist", failed.reason());
    }

    @Test
    void aModelTooLargeForTheConfiguredMemoryIsRefusedBeforeAnyWorkByStageAndBytes() throws Exception {
        ArtifactStore store = new ArtifactStore(temp.resolve("artifacts"));
        // prunelab.pruner.max-memory=100m: less than the runtime alone
        Pruner pruner = new Pruner(store, roots(temp), Clock.systemUTC(), 1, EnergyCounters.auto(),
                HostWorkLock.none(), 100L << 20);
        Recorder recorder = new Recorder();
        RunFailed failed = assertInstanceOf(RunFailed.class, pruner.process(
                request("run-too-large", null, stories(), PruneSpec.unstructured(PruneMethod.WANDA, 0.5)), recorder));
        assertTrue(failed.reason().startsWith("maxMemory: the calibration embedding needs "), failed.reason());
        assertTrue(failed.reason().endsWith("but --max-memory is 100 MiB"), failed.reason());
        assertFalse(failed.reason().contains("\n"));
        assertTrue(recorder.progress.isEmpty(), "no stage started: " + recorder.progress);
        assertEquals(List.of(), artifacts(store));
    }

    @Test
    void filesOutsideTheRootsAreNeverOpened() throws Exception {
        Pruner pruner = pruner(new ArtifactStore(temp.resolve("artifacts")));
        Path outside = Files.createTempFile(temp.getParent(), "secret", ".bin");
        try {
            for (String path : new String[] {"/etc/passwd", "/proc/self/environ", "/", temp + "/../../../etc/shadow",
                    outside.toString(), "/no/such/model.bin"}) {
                RunFailed failed = assertInstanceOf(RunFailed.class, pruner.process(
                        request("run-outside", null, path, PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5)),
                        Pruner.Observer.NONE));
                assertEquals(RunStage.VALIDATE, failed.stage(), path);
                assertTrue(failed.reason().startsWith("model.path: is outside the directories this lab reads from"),
                        failed.reason());
                Files.deleteIfExists(temp.resolve("artifacts/.outcomes/prune-run-outside.json"));
            }
            RunRequested text = new RunRequested("run-text", T, null, new ModelRef(stories(), null),
                    PruneSpec.unstructured(PruneMethod.WANDA, 0.5), new CalibrationSpec("/etc/shadow", 2, 32, 0L), null);
            RunFailed failed = assertInstanceOf(RunFailed.class, pruner.process(text, Pruner.Observer.NONE));
            assertEquals(RunStage.VALIDATE, failed.stage());
            assertTrue(failed.reason().startsWith("calibration.text: is outside"), failed.reason());
        } finally {
            Files.deleteIfExists(outside);
        }
    }

    @Test
    void theQuantizerAndTheWeightBudgetOfARunRequestReachTheEngine() throws Exception {
        ArtifactStore store = new ArtifactStore(temp.resolve("artifacts"));
        PruneSpec tooSmall = new PruneSpec(PruneMethod.WANDA, 0.5, null, null, null, null, null, 4, null,
                dev.prunelab.vocabulary.WeightQuantizer.GPTQ, 1000L);
        RunFailed failed = assertInstanceOf(RunFailed.class, pruner(store).process(
                request("run-budget", null, stories(), tooSmall), Pruner.Observer.NONE));
        assertTrue(failed.reason().startsWith("weightBudget: 1000 bytes is below the blocks' linear weights at 4 "
                + "bits"), failed.reason());
        assertEquals(List.of(), artifacts(store), "refused before any work: nothing stored");
    }

    @Test
    void aBadCheckpointFailsThePruneOnOneLineAndLeavesNothingInTheStore() throws Exception {
        ArtifactStore store = new ArtifactStore(temp.resolve("artifacts"));
        Pruner pruner = pruner(store);
        Path garbage = Files.writeString(temp.resolve("garbage.bin"), "root:x:0:0:root:/root:/bin/bash\n".repeat(4));
        Event result = pruner.process(request("run-garbage", null, garbage.toString(),
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5)), Pruner.Observer.NONE);
        RunFailed failed = assertInstanceOf(RunFailed.class, result);
        assertEquals(RunStage.PRUNE, failed.stage());
        assertNotNull(failed.reason());
        assertTrue(!failed.reason().contains("\n"), failed.reason());
        // the file's bytes are not decoded into the reason, and the server's path is not in it
        assertEquals("models:garbage.bin: is not a llama2.c checkpoint or Hugging Face directory", failed.reason());
        assertEquals(List.of(), artifacts(store), "a failed run leaves no staging directory");
        // delivered again (another replica, a redelivery): the recorded failure, not a second attempt
        Recorder again = new Recorder();
        assertEquals(failed, pruner.process(request("run-garbage", null, garbage.toString(),
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5)), again));
        assertEquals(0, again.started);
    }

    @Test
    void twoReplicasOnOneStorePruneARunOnce() throws Exception {
        // two pruners share the store, each with its own owner id, and both receive the run (a rebalance); a lease
        // no pause of a loaded machine outlasts: this is about the claim, not about taking over a dead holder's
        Duration lease = Duration.ofMinutes(10);
        ArtifactStore first = new ArtifactStore(temp.resolve("shared"), "pruner-a", lease);
        ArtifactStore second = new ArtifactStore(temp.resolve("shared"), "pruner-b", lease);
        first.removeAbandoned();
        RunRequested request = request("stories-twice", null, stories(),
                PruneSpec.unstructured(PruneMethod.WANDA, 0.5));
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        CompletableFuture<Event> one = CompletableFuture.supplyAsync(() -> pruner(first).process(request, a));
        CompletableFuture<Event> two = CompletableFuture.supplyAsync(() -> pruner(second).process(request, b));
        ModelPruned fromA = assertInstanceOf(ModelPruned.class, one.get(120, TimeUnit.SECONDS));
        ModelPruned fromB = assertInstanceOf(ModelPruned.class, two.get(120, TimeUnit.SECONDS));
        assertEquals(1, a.started + b.started, "exactly one replica pruned");
        assertEquals(fromA.artifact(), fromB.artifact());
        assertEquals(List.of(first.root().resolve("stories-twice")), artifacts(first));
    }

    @Test
    void runsOfACancelledSweepAreSkipped() {
        Pruner pruner = pruner(new ArtifactStore(temp.resolve("artifacts")));
        pruner.cancel(new SweepCancelled("sweep-1", T, null));
        Recorder recorder = new Recorder();
        RunFailed failed = assertInstanceOf(RunFailed.class, pruner.process(request("sweep-1-run-0", "sweep-1",
                stories(), PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5)), recorder));
        assertEquals(RunStage.CANCELLED, failed.stage());
        assertTrue(failed.reason().contains("sweep-1"), failed.reason());
        assertEquals(0, recorder.started);
    }
}
