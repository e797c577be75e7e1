package dev.prunelab.pruning.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.calibration.BlockCalibration;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.calibration.StageTimer;
import dev.prunelab.pruning.calibration.WindowSource;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.export.OnnxWeights;
import dev.prunelab.pruning.export.OracleAccess;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.prune.OwlAllocation;
import dev.prunelab.pruning.unstructured.PruneReport;
import dev.prunelab.pruning.unstructured.RandomWindows;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.vocabulary.StructuredAllocation;
import dev.prunelab.vocabulary.StructuredScore;
import dev.prunelab.vocabulary.StructuredTarget;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class StructuredPrunerTest {
    @TempDir
    Path temp;

    static WindowSource randomWindows(int vocab, int samples, long seed) {
        return RandomWindows.of(vocab, samples, seed);
    }

    static StructuredRequest request(String target, double ratio, String score, String allocation,
            boolean compensate) {
        return new StructuredRequest(StructuredTarget.of(target), ratio,
                StructuredScore.of(score), StructuredAllocation.of(allocation), compensate,
                new Calibration(Path.of("random"), 4, 32, 0), WeightDtype.FLOAT32, 1);
    }

    static StructuredRequest request(String target, double ratio, String score, String allocation) {
        return request(target, ratio, score, allocation, score.equals("flap"));
    }

    private LoadedModel synthesize(String preset, long seed) {
        Path checkpoint = temp.resolve("checkpoint-" + preset);
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.fromId(preset), DType.F32, seed);
        return ModelLoader.open(checkpoint, Optional.empty());
    }

    @ParameterizedTest
    @CsvSource({
        "tiny-llama-gqa, heads, 0.5, flap, uniform", "tiny-llama-gqa, mlp+heads, 0.3, wanda-sp, uniform",
        "tiny-llama-gqa, mlp+heads, 0.5, magnitude, global", "tiny-llama-gqa, mlp, 0.5, flap, global",
        "tiny-opt, mlp+heads, 0.5, flap, uniform", "tiny-opt, mlp, 0.3, wanda-sp, global",
        "tiny-opt-post-ln, mlp+heads, 0.5, flap, uniform", "tiny-opt-post-ln, heads, 0.5, wanda-sp, global",
        "tiny-gpt2, mlp+heads, 0.5, flap, uniform", "tiny-gpt2, heads, 0.25, magnitude, uniform",
        "tiny-llama-gqa, blocks, 0.5, block-influence, uniform", "tiny-opt-post-ln, blocks, 0.5, block-influence, uniform",
        "tiny-llama3, mlp+heads, 0.3, flap, uniform", "tiny-qwen3, mlp+heads, 0.3, wanda-sp, uniform",
        "tiny-qwen3, mlp, 0.5, flap, global", "tiny-phi3, mlp+heads, 0.3, flap, uniform",
        "tiny-phi3, heads, 0.5, magnitude, global", "tiny-llama3, blocks, 0.5, block-influence, uniform",
        "tiny-qwen3, blocks, 0.5, block-influence, uniform", "tiny-phi3, blocks, 0.5, block-influence, uniform",
        "tiny-gemma2, mlp+heads, 0.3, flap, uniform", "tiny-gemma3, mlp+heads, 0.3, wanda-sp, uniform",
        "tiny-gemma3, heads, 0.5, magnitude, global", "tiny-gemma2, blocks, 0.5, block-influence, uniform",
        "tiny-gemma3, blocks, 0.5, block-influence, uniform",
        "tiny-gpt2, blocks, 0.5, block-influence, uniform"})
    void prunedExportIsSmallerAndMatchesTheReferenceOfItsWeights(String preset, String target, double ratio,
            String score, String allocation) throws Exception {
        Path out = temp.resolve("pruned");
        try (LoadedModel model = synthesize(preset, 5)) {
            DecoderConfig config = model.config();
            StructuredRequest request = request(target, ratio, score, allocation);
            StructuredReport report = StructuredPruner.prune(model, request,
                    randomWindows(config.vocabSize(), 4, 1), out);
            // the kept blocks keep their own kinds of layer (Gemma's sliding and full attention)
            DecoderConfig exportedConfig = report.droppedLayers() == null ? config
                    : config.keepingLayers(report.layersAfter().stream().mapToInt(ModelCost.LayerCost::sourceLayer)
                            .toArray());
            try (TensorSource exported = OnnxWeights.read(out)) {
                LoadedModel exportedModel = new LoadedModel(exportedConfig, exported, model.source(),
                        model.weightFiles(), model.tokenizerPath(), model.bosTokenId(), model.eosTokenId());
                double difference = OracleAccess.maxLogitDifference(exportedModel, exported, out, 7);
                assertTrue(difference <= 1e-4, "pruned export vs reference of its weights: " + difference);
                ModelCost measured = ModelCost.of(exportedConfig, exported, report.flopsContextTokens(),
                        report.layersAfter().stream().mapToInt(ModelCost.LayerCost::sourceLayer).toArray());
                assertEquals(report.layersAfter(), measured.layers(), "report widths vs the exported shapes");
                assertEquals(report.flopsPerTokenAfter(), measured.flopsPerToken());
            }
            assertEquals(report.parametersAfter(), ModelCard.read(out).parameterCount(),
                    "report parameters vs model card");
            assertTrue(report.parametersAfter() < report.parametersBefore());
            assertTrue(report.flopsPerTokenAfter() < report.flopsPerTokenBefore());
            assertTrue(Files.exists(out.resolve(PruneReport.FILE_NAME)));
            assertExpectedWidths(model, request, report);
        }
    }

    /** Uniform: every layer loses round(ratio x group) units per group; global: the ratio overall, floors kept. */
    private static void assertExpectedWidths(LoadedModel model, StructuredRequest request, StructuredReport report) {
        DecoderConfig config = model.config();
        if (request.target() == StructuredTarget.BLOCKS) {
            assertEquals(config.numLayers() - Math.round(request.ratio() * config.numLayers()),
                    report.layersAfter().size());
            assertEquals(report.droppedLayers().size() + report.layersAfter().size(), config.numLayers());
            return;
        }
        long mlpBefore = 0;
        long mlpAfter = 0;
        for (int layer = 0; layer < config.numLayers(); layer++) {
            ModelCost.LayerCost before = report.layersBefore().get(layer);
            ModelCost.LayerCost after = report.layersAfter().get(layer);
            assertEquals(before.kvHeads() == before.queryHeads() ? after.queryHeads() : before.kvHeads(),
                    after.kvHeads(), "KV heads shrink only with multi-head attention");
            assertEquals(0, after.queryHeads() % after.kvHeads(), "GQA grouping kept");
            mlpBefore += before.mlpWidth();
            mlpAfter += after.mlpWidth();
            if (request.allocation() == StructuredAllocation.UNIFORM) {
                if (request.target().mlp()) {
                    assertEquals(before.mlpWidth() - Math.round(request.ratio() * before.mlpWidth()), after.mlpWidth());
                }
                if (request.target().heads()) {
                    int groups = before.kvHeads() == before.queryHeads() ? 1 : before.kvHeads();
                    int size = before.queryHeads() / groups;
                    assertEquals(before.queryHeads() - groups * Math.round(request.ratio() * size), after.queryHeads());
                }
            } else {
                assertTrue(after.mlpWidth() >= Math.ceil(StructuredPruner.GLOBAL_FLOOR * before.mlpWidth()));
                assertTrue(after.queryHeads() >= after.kvHeads());
            }
        }
        if (request.allocation() == StructuredAllocation.GLOBAL && request.target().mlp()) {
            assertEquals(Math.round(request.ratio() * mlpBefore), mlpBefore - mlpAfter);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-opt", "tiny-llama-gqa", "tiny-gpt2"})
    void biasCompensationLowersTheLayerReconstructionError(String preset) throws Exception {
        try (LoadedModel model = synthesize(preset, 3)) {
            DecoderConfig config = model.config();
            WindowSource windows = randomWindows(config.vocabSize(), 4, 11);
            StructuredPruner.prune(model, request("mlp+heads", 0.5, "flap", "uniform", true), windows,
                    temp.resolve("compensated"));
            StructuredPruner.prune(model, request("mlp+heads", 0.5, "flap", "uniform", false), windows,
                    temp.resolve("plain"));
            BlockCalibration calibrator = new BlockCalibration(config, new Calibration(Path.of("random windows"), 4, 32, 0),
                    1, new StageTimer(new LinkedHashMap<>()));
            List<float[]> input = calibrator.embed(model.tensors(), windows.windows(32));
            List<float[]> dense = calibrator.forward(model.tensors(), 0, input);
            double compensated;
            double plain;
            try (TensorSource a = OnnxWeights.read(temp.resolve("compensated"));
                 TensorSource b = OnnxWeights.read(temp.resolve("plain"))) {
                compensated = squaredError(dense, calibrator.forward(a, 0, input));
                plain = squaredError(dense, calibrator.forward(b, 0, input));
            }
            assertTrue(compensated < plain, "layer 0 output error with compensation " + compensated
                    + ", without " + plain);
        }
    }

    private static double squaredError(List<float[]> expected, List<float[]> actual) {
        double sum = 0;
        for (int i = 0; i < expected.size(); i++) {
            for (int j = 0; j < expected.get(i).length; j++) {
                double d = expected.get(i)[j] - actual.get(i)[j];
                sum += d * d;
            }
        }
        return sum;
    }

    @Test
    void owlAllocationSpreadsTheRatioOverLayersByTheirOutliers() throws Exception {
        try (LoadedModel model = synthesize("tiny-opt", 5)) {
            List<RunStage> stages = new ArrayList<>();
            StructuredReport report = StructuredPruner.prune(model, request("mlp", 0.3, "magnitude", "owl"),
                    randomWindows(model.config().vocabSize(), 4, 3), temp.resolve("owl"),
                    (stage, done, total) -> stages.add(stage));
            double[] ratios = report.layerRatios();
            assertEquals(2, ratios.length);
            // OWL (Yin et al. 2023): mean = the requested ratio, spread max - min = 2 lambda
            assertEquals(0.3, (ratios[0] + ratios[1]) / 2, 1e-9);
            assertEquals(2 * OwlAllocation.DEFAULT_LAMBDA, Math.abs(ratios[0] - ratios[1]), 1e-9);
            int width = model.config().intermediateSize();
            for (int layer = 0; layer < 2; layer++) {
                assertEquals(width - Math.round(ratios[layer] * width), report.layersAfter().get(layer).mlpWidth());
            }
            // magnitude scores need no activations, OWL does: a calibration pass, then pruning, then the export
            assertEquals(List.of(RunStage.CALIBRATE, RunStage.PRUNE, RunStage.EXPORT), stages.stream().distinct().toList());
            assertTrue(stages.stream().allMatch(stage -> stage.owner() == RunStage.Owner.PRUNER));
        }
        assertRefused(() -> request("blocks", 0.3, "block-influence", "owl"), "allocation: owl is not available");
    }

    @Test
    void requestsThatCannotWorkAreRefusedBeforeAnyWork() throws Exception {
        assertRefused(() -> request("mlp", 1.0, "magnitude", "uniform"), "[0, 1)");
        assertRefused(() -> request("mlp", -0.1, "magnitude", "uniform"), "[0, 1)");
        assertRefused(() -> request("mlp", 0.3, "block-influence", "uniform"), "score: block-influence ranks whole blocks; it needs target blocks");
        assertRefused(() -> request("blocks", 0.3, "flap", "uniform"), "score: flap cannot rank blocks");
        assertRefused(() -> request("blocks", 0.3, "block-influence", "global"), "allocation: global is not available");
        assertRefused(() -> request("mlp", 0.3, "wanda-sp", "uniform", true), "biasCompensation: is part of FLAP");
        assertRefused(() -> StructuredTarget.of("layers"), "(expected mlp|heads|blocks|mlp+heads)");
        WindowSource never = window -> {
            throw new AssertionError("calibration must not start");
        };
        Path out = temp.resolve("never");
        try (LoadedModel llama = synthesize("tiny-llama-gqa", 1)) {
            // 8 query heads over 2 KV heads: 0.9 x 4 rounds to all 4 heads of every group
            assertRefused(() -> StructuredPruner.prune(llama, request("heads", 0.9, "flap", "uniform"), never, out),
                    "all 4 query heads of each of the 2 key/value groups of layer 0");
            assertRefused(() -> StructuredPruner.prune(llama, request("mlp", 0.999, "wanda-sp", "uniform"), never,
                    out), "all 96 MLP channels of layer 0");
            assertRefused(() -> StructuredPruner.prune(llama, request("blocks", 0.8, "block-influence", "uniform"),
                    never, out), "drop all 2 decoder blocks");
        }
        try (LoadedModel opt = synthesize("tiny-opt", 1)) {
            assertRefused(() -> StructuredPruner.prune(opt, request("heads", 0.9, "magnitude", "uniform"), never, out),
                    "all 4 attention heads of layer 0");
        }
        assertFalse(Files.exists(out));
    }

    private static void assertRefused(org.junit.jupiter.api.function.Executable call, String message) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, call);
        assertTrue(error.getMessage().contains(message), error.getMessage());
    }

    @Test
    void blockInfluenceDropsTheBlocksThatChangeTheirInputLeast() throws Exception {
        try (LoadedModel model = synthesize("tiny-opt", 4)) {
            StructuredReport report = StructuredPruner.prune(model,
                    request("blocks", 0.5, "block-influence", "uniform"), randomWindows(512, 2, 5),
                    temp.resolve("blocks"));
            double[] influence = report.layerScores();
            int lowest = IntStream.range(0, influence.length).boxed()
                    .min((a, b) -> Double.compare(influence[a], influence[b])).orElseThrow();
            assertEquals(List.of(lowest), report.droppedLayers());
            assertEquals(1 - lowest, report.layersAfter().get(0).sourceLayer());
        }
    }
}
