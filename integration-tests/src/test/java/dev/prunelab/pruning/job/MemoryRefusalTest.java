package dev.prunelab.pruning.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.memory.MemoryBudget;
import dev.prunelab.pruning.memory.WorkingSet;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.run.ProgressListener;
import dev.prunelab.pruning.unstructured.PruneRequest;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prune whose working set cannot fit its memory is refused before anything is read or written, naming the stage
 * and the bytes; one that fits tells its listener the largest stage before the work (the CLI prints it).
 */
class MemoryRefusalTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path temp;

    private static PruneRequest wanda() {
        return new PruneRequest(PruneRequest.method(PruneMethod.WANDA), SparsityPattern.parse("0.5"),
                LayerSparsity.UNIFORM, new Calibration(SharedData.path("text/tinystories/calibration.txt"), 4, 64, 0),
                WeightDtype.FLOAT32, 1);
    }

    @Test
    void aBudgetTooSmallIsRefusedAtOnceAndAnEarlierExportStays() throws Exception {
        Path model = SharedData.path("models/stories260K/stories260K.bin");
        Path tokenizer = SharedData.path("models/stories260K/tok512.bin");
        Path out = temp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("model.onnx"), "an earlier export");
        List<RunStage> stages = new ArrayList<>();
        ProgressListener listener = (stage, done, total) -> stages.add(stage);
        InvalidSetting refused = assertThrows(InvalidSetting.class, () -> PruneJob.prune(model, Optional.of(tokenizer),
                wanda(), out, listener, new MemoryBudget(100 * MIB, "--max-memory", 1024 * MIB)));
        assertEquals("maxMemory", refused.field());
        assertTrue(refused.getMessage().startsWith("maxMemory: the calibration embedding needs "),
                refused.getMessage());
        assertTrue(refused.getMessage().contains("but --max-memory is 100 MiB"), refused.getMessage());
        assertTrue(stages.isEmpty(), "no stage started: " + stages);
        assertEquals("an earlier export", Files.readString(out.resolve("model.onnx")));
        try (var left = Files.list(temp)) {
            assertEquals(List.of(out), left.toList(), "no spill file beside the output");
        }
    }

    @Test
    void aBudgetThatFitsIsToldBeforeTheWork() throws Exception {
        Path model = SharedData.path("models/stories260K/stories260K.bin");
        Path tokenizer = SharedData.path("models/stories260K/tok512.bin");
        List<String> heard = new ArrayList<>();
        ProgressListener listener = new ProgressListener() {
            @Override
            public void progress(RunStage stage, int done, int total) {
                heard.add(stage.id());
            }

            @Override
            public void memoryPlanned(WorkingSet largest, WorkingSet largestOnHeap, MemoryBudget budget) {
                heard.add("memory " + largest.stage());
            }
        };
        PruneJob.prune(model, Optional.of(tokenizer), wanda(), temp.resolve("fits"), listener,
                new MemoryBudget(4096 * MIB, "--max-memory", 1024 * MIB));
        assertTrue(heard.get(0).startsWith("memory "), heard.toString());
        assertTrue(Files.exists(temp.resolve("fits").resolve("model.onnx")));
    }
}
