package dev.prunelab.pruning.unstructured;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.calibration.WindowSource;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.export.OnnxWeights;
import dev.prunelab.pruning.export.OracleAccess;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SequentialPrunerTest {
    @TempDir
    Path temp;

    static WindowSource randomWindows(int vocab, int samples, long seed) {
        return RandomWindows.of(vocab, samples, seed);
    }

    static PruneRequest request(String method, String pattern, String layers) {
        return new PruneRequest(PruneRequest.method(dev.prunelab.vocabulary.PruneMethod.of(method)), SparsityPattern.parse(pattern),
                LayerSparsity.of(layers), new Calibration(Path.of("random"), 4, 32, 0),
                WeightDtype.FLOAT32, 1);
    }

    @ParameterizedTest
    @CsvSource({
        "tiny-llama-gqa, magnitude, 0.5", "tiny-llama-gqa, wanda, 0.5", "tiny-llama-gqa, sparsegpt, 0.5",
        "tiny-llama-gqa, wanda, 2:4", "tiny-llama-gqa, sparsegpt, 4:8", "tiny-opt-post-ln, sparsegpt, 0.5",
        "tiny-opt, wanda, 2:4", "tiny-gpt2, sparsegpt, 2:4", "tiny-gpt2, wanda, 0.3",
        "tiny-llama3, magnitude, 0.5", "tiny-llama3, wanda, 0.5", "tiny-llama3, sparsegpt, 0.5", "tiny-llama3, ria, 0.5",
        "tiny-llama3, sparsegpt, 2:4", "tiny-qwen3, magnitude, 0.5", "tiny-qwen3, wanda, 0.5",
        "tiny-qwen3, sparsegpt, 0.5", "tiny-qwen3, ria, 0.5", "tiny-qwen3, wanda, 2:4", "tiny-phi3, magnitude, 0.5",
        "tiny-phi3, wanda, 0.5", "tiny-phi3, sparsegpt, 0.5", "tiny-phi3, ria, 0.5", "tiny-phi3, ria, 2:4",
        "tiny-gemma2, magnitude, 0.5", "tiny-gemma2, wanda, 0.5", "tiny-gemma2, sparsegpt, 0.5", "tiny-gemma2, ria, 0.5",
        "tiny-gemma2, wanda, 2:4", "tiny-gemma3, magnitude, 0.5", "tiny-gemma3, wanda, 0.5",
        "tiny-gemma3, sparsegpt, 0.5", "tiny-gemma3, ria, 0.5", "tiny-gemma3, sparsegpt, 2:4"})
    void prunedExportHasTheTargetSparsityAndMatchesTheReferenceOfItsWeights(String preset, String method,
            String pattern) throws Exception {
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.fromId(preset), DType.F32, 5);
        Path out = temp.resolve("pruned");
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            PruneReport report = SequentialPruner.prune(model, request(method, pattern, "uniform"),
                    randomWindows(model.config().vocabSize(), 4, 1), out);
            SparsityPattern requested = SparsityPattern.parse(pattern);
            FamilyGraphs family = ModelFamilies.of(model.config()).graphs(model.config());
            try (InMemoryTensors exported = OnnxWeights.read(out)) {
                for (PruneReport.MatrixSparsity matrix : report.matrices()) {
                    float[] weight = exported.readFloats(matrix.name());
                    long zeros = 0;
                    for (float w : weight) {
                        zeros += w == 0f ? 1 : 0;
                    }
                    assertEquals(matrix.zeros(), zeros, matrix.name() + ": zeros in the export vs the report");
                    assertEquals(expectedZeros(method, requested, matrix.shape(), family.weightsStoredInputMajor()),
                            zeros, matrix.name() + " achieved sparsity");
                    if (requested instanceof SparsityPattern.NM nm) {
                        assertNmGroups(weight, matrix.shape(), family.weightsStoredInputMajor(), nm, matrix.name());
                    }
                }
                long reportedZeros = report.matrices().stream().mapToLong(PruneReport.MatrixSparsity::zeros).sum();
                assertEquals((double) reportedZeros / report.prunedWeights(), report.achievedSparsity(), 1e-12);
                // per-row rounding (Wanda keeps floor(s x in) zeros a row) moves the total by under one weight a row
                assertEquals(requested.sparsity(), report.achievedSparsity(), 1.0 / 64);
                double difference = OracleAccess.maxLogitDifference(model, exported, out, 7);
                assertTrue(difference <= 1e-4, "pruned export vs reference of its weights: " + difference);
            }
            var written = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    out.resolve(PruneReport.FILE_NAME).toFile());
            // wall-clock seconds and RSS are the machine's figures: present and sane, their size a benchmark's
            for (String stage : List.of("export", "total")) {
                JsonNode seconds = written.at("/secondsPerStage/" + stage);
                assertTrue(seconds.isNumber() && Double.isFinite(seconds.asDouble()) && seconds.asDouble() >= 0,
                        stage + ": " + written.at("/secondsPerStage"));
            }
            assertEquals(report.zeroWeights(), written.get("zeroWeights").asLong());
            // where the platform reports it (Linux /proc); a process's resident set is never empty
            assertTrue(report.peakRssBytes() == null || report.peakRssBytes() > 0, "peak RSS " + report.peakRssBytes());
        }
        try (var siblings = Files.list(temp)) {
            assertFalse(siblings.anyMatch(p -> p.getFileName().toString().contains("pruned-weights")),
                    "spill file left behind");
        }
    }

    /** Magnitude and SparseGPT: floor(s x weights) per matrix; Wanda: floor(s x in) in every row; N:M exact. */
    static long expectedZeros(String method, SparsityPattern pattern, long[] shape, boolean inputMajor) {
        long rows = inputMajor ? shape[1] : shape[0];
        long cols = inputMajor ? shape[0] : shape[1];
        if (pattern instanceof SparsityPattern.NM nm) {
            return rows * cols / nm.m() * nm.prunedInGroup(nm.m());
        }
        if (method.equals("wanda") || method.equals("ria")) {   // both prune per output row
            return rows * (long) Math.floor(pattern.sparsity() * cols + 1e-9);
        }
        return (long) Math.floor(pattern.sparsity() * rows * cols + 1e-9);
    }

    static void assertNmGroups(float[] weight, long[] shape, boolean inputMajor, SparsityPattern.NM nm, String name) {
        int rows = (int) (inputMajor ? shape[1] : shape[0]);
        int cols = (int) (inputMajor ? shape[0] : shape[1]);
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < cols; g += nm.m()) {
                int kept = 0;
                for (int c = g; c < g + nm.m(); c++) {
                    float w = inputMajor ? weight[c * rows + r] : weight[r * cols + c];
                    kept += w != 0f ? 1 : 0;
                }
                assertTrue(kept <= nm.n(), name + " row " + r + " group " + g + " keeps " + kept);
            }
        }
    }

    @Test
    void compressedWeightsMakeZerosCheapOnDiskAndLoadToTheSameModel() throws Exception {
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.TINY_LLAMA_GQA, DType.F32, 5);
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            PruneRequest plain = request("magnitude", "0.5", "uniform");
            PruneRequest compressed = new PruneRequest(plain.method(), plain.pattern(), plain.layerSparsity(),
                    plain.calibration(), plain.dtype(), plain.threads(), true);
            PruneReport dense = SequentialPruner.prune(model, plain, randomWindows(512, 4, 1), temp.resolve("plain"));
            PruneReport small = SequentialPruner.prune(model, compressed, randomWindows(512, 4, 1), temp.resolve("gz"));
            assertEquals("external-sparse", small.storage().weightStorage());
            assertTrue(Files.exists(temp.resolve("gz").resolve(DecoderIo.COMPRESSED_DATA_FILE)));
            assertFalse(Files.exists(temp.resolve("gz").resolve(DecoderIo.EXTERNAL_DATA_FILE)));
            // one bit per element plus the non-zero elements: the exact size of the stored weights
            long stored = Files.size(temp.resolve("gz").resolve(DecoderIo.COMPRESSED_DATA_FILE));
            long nonZeroParameters = dev.prunelab.modelformat.ModelCard.read(temp.resolve("gz")).nonZeroParameterCount();
            long graphConstants = small.storage().expandedWeightBytes() / 4 - small.totalParameters();
            assertTrue(stored <= dev.prunelab.modelformat.CompressedWeights.compressedSize(
                    small.storage().expandedWeightBytes(), 4, nonZeroParameters + graphConstants), "stored " + stored);
            assertTrue(stored < 0.8 * small.storage().expandedWeightBytes(), small.storage().toString());
            assertTrue(small.storage().directoryBytes() < dense.storage().directoryBytes());
            assertTrue(small.storage().note().contains("densifies"));
            try (InMemoryTensors exported = OnnxWeights.read(temp.resolve("plain"))) {
                // the compressed export, expanded by the evaluator, computes the uncompressed export's function
                double difference = OracleAccess.maxLogitDifference(model, exported, temp.resolve("gz"), 3);
                assertTrue(difference <= 1e-4, "compressed export vs reference: " + difference);
            }
        }
    }

    @Test
    void owlSpreadsSparsityAcrossLayersAroundTheTarget() throws Exception {
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.TINY_LLAMA_GQA, DType.F32, 5);
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            PruneReport report = SequentialPruner.prune(model, request("wanda", "0.5", "owl"),
                    randomWindows(512, 4, 1), temp.resolve("owl"));
            double mean = java.util.Arrays.stream(report.layerAllocation()).average().orElseThrow();
            assertEquals(0.5, mean, 1e-9);
            assertEquals("owl", report.layerSparsity());
        }
    }

    @Test
    void sameSeedAndInputGiveByteIdenticalModels() throws Exception {
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.TINY_OPT, DType.F32, 2);
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            SequentialPruner.prune(model, request("sparsegpt", "0.5", "uniform"), randomWindows(512, 4, 9),
                    temp.resolve("a"));
            SequentialPruner.prune(model, request("sparsegpt", "0.5", "uniform"), randomWindows(512, 4, 9),
                    temp.resolve("b"));
        }
        for (String file : new String[] {DecoderIo.MODEL_FILE, DecoderIo.MODEL_CARD_FILE}) {
            assertArrayEquals(Files.readAllBytes(temp.resolve("a").resolve(file)),
                    Files.readAllBytes(temp.resolve("b").resolve(file)), file);
        }
    }

    @Test
    void invalidRequestsFailBeforeAnyWork() throws Exception {
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.TINY_LLAMA_GQA, DType.F32, 5);
        Path out = temp.resolve("never");
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            assertThrows(IllegalArgumentException.class, () -> request("wanda", "2:4", "owl"));
            assertThrows(IllegalArgumentException.class, () -> request("obs", "0.5", "uniform"));
            assertThrows(IllegalArgumentException.class, () -> request("wanda", "1.0", "uniform"));
            assertThrows(IllegalArgumentException.class, () -> request("wanda", "4:4", "uniform"));
            PruneRequest longWindows = new PruneRequest(PruneRequest.method(dev.prunelab.vocabulary.PruneMethod.WANDA), SparsityPattern.parse("0.5"),
                    LayerSparsity.UNIFORM, new Calibration(Path.of("random"), 4, 4096, 0),
                    WeightDtype.FLOAT32, 1);
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> SequentialPruner.prune(model, longWindows,
                            window -> { throw new AssertionError("calibration must not start"); }, out));
            assertTrue(error.getMessage().contains("context length"), error.getMessage());
        }
        assertFalse(Files.exists(out));
    }
}
