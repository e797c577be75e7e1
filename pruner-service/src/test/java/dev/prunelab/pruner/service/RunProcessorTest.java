package dev.prunelab.pruner.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.prunelab.pruner.app.RunProcessor;
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
class RunProcessorTest {
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

    private RunProcessor processor(ArtifactStore store) {
        return new RunProcessor(store, roots(temp), Clock.systemUTC(), 1);
    }

    /** The store's entries but its own bookkeeping (claims, recorded outcomes). */
    static List<Path> artifacts(ArtifactStore store) throws Exception {
        try (Stream<Path> entries = Files.list(store.root())) {
            return entries.filter(p -> !p.getFileName().toString().equals(".claims")
                    && !p.getFileName().toString().equals(".outcomes")).toList();
        }
    }

    /** Records what the processor reports. */
    static final class Recorder implements RunProcessor.Observer {
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
        RunProcessor processor = processor(store);
        RunRequested request = request("stories-magnitude-50", null, stories(),
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5));

        Recorder first = new Recorder();
        ModelPruned pruned = assertInstanceOf(ModelPruned.class, processor.process(request, first));

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
        ModelPruned again = assertInstanceOf(ModelPruned.class, processor.process(request, second));
        assertEquals(0, second.started, "the second delivery must not prune again");
        assertTrue(second.progress.isEmpty());
        assertEquals(pruned, again, "the recorded model.pruned itself, so the same CloudEvents id");
        assertEquals(modified, Files.getLastModifiedTime(model).toMillis());
    }

    @Test
    void aMissingModelFailsValidationNamingThePathRelativeToItsRoot() {
        RunProcessor processor = processor(new ArtifactStore(temp.resolve("artifacts")));
        String missing = temp.resolve("no-such-model.bin").toString();
        RunFailed failed = assertInstanceOf(RunFailed.class, processor.process(
                request("run-missing", null, missing, PruneSpec.unstructured(PruneMethod.WANDA, 0.5)),
                RunProcessor.Observer.NONE));
        assertEquals(RunStage.VALIDATE, failed.stage());
        assertEquals("model.path: models:no-such-model.bin does not exist", failed.reason());
    }

    @Test
    void filesOutsideTheRootsAreNeverOpened() throws Exception {
        RunProcessor processor = processor(new ArtifactStore(temp.resolve("artifacts")));
        Path outside = Files.createTempFile(temp.getParent(), "secret", ".bin");
        try {
            for (String path : new String[] {"/etc/passwd", "/proc/self/environ", "/", temp + "/../../../etc/shadow",
                    outside.toString(), "/no/such/model.bin"}) {
                RunFailed failed = assertInstanceOf(RunFailed.class, processor.process(
                        request("run-outside", null, path, PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5)),
                        RunProcessor.Observer.NONE));
                assertEquals(RunStage.VALIDATE, failed.stage(), path);
                assertTrue(failed.reason().startsWith("model.path: is outside the directories this lab reads from"),
                        failed.reason());
                Files.deleteIfExists(temp.resolve("artifacts/.outcomes/prune-run-outside.json"));
            }
            RunRequested text = new RunRequested("run-text", T, null, new ModelRef(stories(), null),
                    PruneSpec.unstructured(PruneMethod.WANDA, 0.5), new CalibrationSpec("/etc/shadow", 2, 32, 0L), null);
            RunFailed failed = assertInstanceOf(RunFailed.class, processor.process(text, RunProcessor.Observer.NONE));
            assertEquals(RunStage.VALIDATE, failed.stage());
            assertTrue(failed.reason().startsWith("calibration.text: is outside"), failed.reason());
        } finally {
            Files.deleteIfExists(outside);
        }
    }

    @Test
    void aBadCheckpointFailsThePruneOnOneLineAndLeavesNothingInTheStore() throws Exception {
        ArtifactStore store = new ArtifactStore(temp.resolve("artifacts"));
        RunProcessor processor = processor(store);
        Path garbage = Files.writeString(temp.resolve("garbage.bin"), "root:x:0:0:root:/root:/bin/bash\n".repeat(4));
        Event result = processor.process(request("run-garbage", null, garbage.toString(),
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5)), RunProcessor.Observer.NONE);
        RunFailed failed = assertInstanceOf(RunFailed.class, result);
        assertEquals(RunStage.PRUNE, failed.stage());
        assertNotNull(failed.reason());
        assertTrue(!failed.reason().contains("\n"), failed.reason());
        // the file's bytes are not decoded into the reason, and the server's path is not in it
        assertEquals("models:garbage.bin: is not a llama2.c checkpoint or Hugging Face directory", failed.reason());
        assertEquals(List.of(), artifacts(store), "a failed run leaves no staging directory");
        // delivered again (another replica, a redelivery): the recorded failure, not a second attempt
        Recorder again = new Recorder();
        assertEquals(failed, processor.process(request("run-garbage", null, garbage.toString(),
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
        CompletableFuture<Event> one = CompletableFuture.supplyAsync(() -> processor(first).process(request, a));
        CompletableFuture<Event> two = CompletableFuture.supplyAsync(() -> processor(second).process(request, b));
        ModelPruned fromA = assertInstanceOf(ModelPruned.class, one.get(120, TimeUnit.SECONDS));
        ModelPruned fromB = assertInstanceOf(ModelPruned.class, two.get(120, TimeUnit.SECONDS));
        assertEquals(1, a.started + b.started, "exactly one replica pruned");
        assertEquals(fromA.artifact(), fromB.artifact());
        assertEquals(List.of(first.root().resolve("stories-twice")), artifacts(first));
    }

    @Test
    void runsOfACancelledSweepAreSkipped() {
        RunProcessor processor = processor(new ArtifactStore(temp.resolve("artifacts")));
        processor.cancel(new SweepCancelled("sweep-1", T, null));
        Recorder recorder = new Recorder();
        RunFailed failed = assertInstanceOf(RunFailed.class, processor.process(request("sweep-1-run-0", "sweep-1",
                stories(), PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5)), recorder));
        assertEquals(RunStage.CANCELLED, failed.stage());
        assertTrue(failed.reason().contains("sweep-1"), failed.reason());
        assertEquals(0, recorder.started);
    }
}
