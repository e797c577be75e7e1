package dev.prunelab.pruner.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.ArtifactStore;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
        RunProcessor processor = new RunProcessor(store, Clock.systemUTC(), 1);
        RunRequested request = request("stories-magnitude-50", null, stories(),
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5));

        Recorder first = new Recorder();
        ModelPruned pruned = assertInstanceOf(ModelPruned.class, processor.process(request, first));

        Path artifact = store.verify(pruned.artifact());
        assertEquals(store.root().resolve("stories-magnitude-50"), artifact);
        assertTrue(Files.isRegularFile(artifact.resolve("model.onnx")));
        assertTrue(Files.isRegularFile(artifact.resolve("prune-report.json")));
        try (Stream<Path> entries = Files.list(store.root())) {
            assertEquals(List.of(artifact), entries.toList(), "no staging or scratch files left in the store");
        }
        assertEquals("magnitude", pruned.report().method());
        assertEquals("magnitude 0.5", pruned.report().label());
        assertEquals(0.5, pruned.report().requestedSparsity());
        assertEquals(0.5, pruned.report().achievedSparsity(), 0.01);
        long parameters = pruned.report().parameterCount();
        long nonZero = pruned.report().nonZeroParameterCount();
        assertTrue(parameters > 200_000 && nonZero < parameters && nonZero > parameters / 3,
                parameters + " parameters, " + nonZero + " non-zero");
        assertTrue(pruned.report().seconds() > 0);
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
        assertEquals(pruned.artifact(), again.artifact());
        assertEquals(pruned.report(), again.report());
        assertEquals(modified, Files.getLastModifiedTime(model).toMillis());
    }

    @Test
    void aMissingModelFailsValidationNamingThePath() {
        RunProcessor processor = new RunProcessor(new ArtifactStore(temp.resolve("artifacts")), Clock.systemUTC(), 1);
        String missing = temp.resolve("no-such-model.bin").toString();
        RunFailed failed = assertInstanceOf(RunFailed.class, processor.process(
                request("run-missing", null, missing, PruneSpec.unstructured(PruneMethod.WANDA, 0.5)),
                RunProcessor.Observer.NONE));
        assertEquals(RunStage.VALIDATE, failed.stage());
        assertTrue(failed.reason().contains(missing), failed.reason());
    }

    @Test
    void aBadCheckpointFailsThePruneOnOneLineAndLeavesNothingInTheStore() throws Exception {
        ArtifactStore store = new ArtifactStore(temp.resolve("artifacts"));
        RunProcessor processor = new RunProcessor(store, Clock.systemUTC(), 1);
        Path garbage = Files.writeString(temp.resolve("garbage.bin"), "not a checkpoint");
        Event result = processor.process(request("run-garbage", null, garbage.toString(),
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5)), RunProcessor.Observer.NONE);
        RunFailed failed = assertInstanceOf(RunFailed.class, result);
        assertEquals(RunStage.PRUNE, failed.stage());
        assertNotNull(failed.reason());
        assertTrue(!failed.reason().contains("\n"), failed.reason());
        try (Stream<Path> entries = Files.list(store.root())) {
            assertEquals(0, entries.count(), "a failed run leaves no staging directory");
        }
    }

    @Test
    void runsOfACancelledSweepAreSkipped() {
        RunProcessor processor = new RunProcessor(new ArtifactStore(temp.resolve("artifacts")), Clock.systemUTC(), 1);
        processor.cancel(new SweepCancelled("sweep-1", T, null));
        Recorder recorder = new Recorder();
        RunFailed failed = assertInstanceOf(RunFailed.class, processor.process(request("sweep-1-run-0", "sweep-1",
                stories(), PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5)), recorder));
        assertEquals(RunStage.CANCELLED, failed.stage());
        assertTrue(failed.reason().contains("sweep-1"), failed.reason());
        assertEquals(0, recorder.started);
    }
}
