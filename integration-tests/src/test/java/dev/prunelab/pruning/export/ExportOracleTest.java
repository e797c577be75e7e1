package dev.prunelab.pruning.export;

import dev.prunelab.vocabulary.WeightDtype;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.evaluation.generate.GreedyGenerator;
import dev.prunelab.evaluation.report.ModelTokenizer;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.RuntimeOptions;
import dev.prunelab.text.tokenizer.TextTokenizer;
import java.util.List;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.text.corpus.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The exported graph, run in ONNX Runtime, gives the reference forward pass's logits (max |diff| <= 1e-4) for
 * a 16-token prefill and 8 cached decode steps after it, for every family and layout branch.
 */
class ExportOracleTest {
    static final double TOLERANCE = 1e-4;
    static final int PREFILL_TOKENS = 16;
    static final int DECODE_STEPS = 8;

    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-gqa", "tiny-opt", "tiny-opt-post-ln", "tiny-gpt2"})
    void exportedGraphMatchesReferenceOnHuggingFaceCheckpoints(String presetId) throws Exception {
        SynthesisPreset preset = SynthesisPreset.fromId(presetId);
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, preset, DType.F32, 11);
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            Path exported = temp.resolve("onnx");
            DecoderExporter.export(model, exported, WeightDtype.FLOAT32);
            OracleComparison.Comparison comparison = OracleComparison.compare(model, model.tensors(), exported,
                    randomTokens(model.config().vocabSize(), 5), DECODE_STEPS);
            System.out.printf("ORACLE %-18s max |logit difference| = %.3e (max |logit| %.3e)%n", presetId,
                    comparison.maxDifference(), comparison.maxLogit());
            assertTrue(comparison.maxDifference() <= TOLERANCE, presetId + ": " + comparison);
            // random weights give small logits: the difference must also be small relative to them
            assertTrue(comparison.relative() <= TOLERANCE, presetId + ": " + comparison);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"models/stories260K/stories260K.bin", "models/stories260K/stories260K-v1.bin"})
    void exportedStories260KMatchesReference(String file) throws Exception {
        try (LoadedModel model = ModelLoader.open(SharedData.path(file), Optional.empty())) {
            Path exported = temp.resolve("stories");
            DecoderExporter.export(model, exported, WeightDtype.FLOAT32);
            OracleComparison.Comparison comparison = OracleComparison.compare(model, model.tensors(), exported,
                    randomTokens(512, 3), DECODE_STEPS);
            System.out.printf("ORACLE %-18s max |logit difference| = %.3e (max |logit| %.3e)%n", "stories260K",
                    comparison.maxDifference(), comparison.maxLogit());
            assertTrue(comparison.maxDifference() <= TOLERANCE, comparison.toString());
            ModelCard card = ModelCard.read(exported);
            assertEquals("llama", card.family());
            assertEquals(5, card.numLayers());
            assertEquals(4, card.numKvHeads());
            assertEquals("tokenizer.bin", card.tokenizerFile());
            assertTrue(Files.exists(exported.resolve("tokenizer.bin")));
            assertEquals(64, card.sourceSha256().length());
        }
    }

    @Test
    void float16ExportHalvesTheFileAndStillMatchesFloat16Weights() throws Exception {
        Path checkpoint = temp.resolve("checkpoint");
        // f16 weights in the checkpoint are exactly representable in the f16 export, so the oracle still holds
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.TINY_LLAMA_GQA, DType.F16, 3);
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            Path f32 = temp.resolve("f32");
            Path f16 = temp.resolve("f16");
            DecoderExporter.Result full = DecoderExporter.export(model, f32, WeightDtype.FLOAT32);
            DecoderExporter.Result half = DecoderExporter.export(model, f16, WeightDtype.FLOAT16);
            assertEquals(full.parameterCount(), half.parameterCount());
            long f32Bytes = Files.size(f32.resolve(DecoderIo.MODEL_FILE));
            long f16Bytes = Files.size(f16.resolve(DecoderIo.MODEL_FILE));
            assertTrue(f16Bytes < 0.6 * f32Bytes, "f16 " + f16Bytes + " vs f32 " + f32Bytes);
            double difference = OracleComparison.maxLogitDifference(model, model.tensors(), f16,
                    randomTokens(512, 9), 4);
            assertTrue(difference <= TOLERANCE, "max logit difference " + difference);
            assertEquals("float16", ModelCard.read(f16).weightDtype());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32", "f16"})
    void weightsPastTheThresholdGoToExternalDataAndStillMatch(String dtype) throws Exception {
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.TINY_GPT2, DType.F16, 4);
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            Path exported = temp.resolve("external");
            // the real threshold is 1 GB; a 1 kB one sends this tiny model's weights to model.onnx.data
            DecoderExporter.Result result = DecoderExporter.export(model, model.tensors(), exported,
                    WeightDtype.of(dtype), staging -> { }, 1024);
            assertTrue(result.externalData());
            long graphBytes = Files.size(exported.resolve(DecoderIo.MODEL_FILE));
            long dataBytes = Files.size(exported.resolve(DecoderIo.EXTERNAL_DATA_FILE));
            assertTrue(dataBytes >= result.parameterCount() * (dtype.equals("f16") ? 2 : 4), "data " + dataBytes);
            assertTrue(graphBytes < dataBytes / 10, "graph " + graphBytes + " should hold no weights");
            double difference = OracleComparison.maxLogitDifference(model, model.tensors(), exported,
                    randomTokens(512, 2), DECODE_STEPS);
            assertTrue(difference <= TOLERANCE, "max logit difference " + difference);
        }
    }

    @Test
    void exportedStories260KContinuesTheStoryGreedily() throws Exception {
        try (LoadedModel model = ModelLoader.open(SharedData.path("models/stories260K/stories260K.bin"),
                Optional.empty())) {
            Path exported = temp.resolve("stories");
            DecoderExporter.export(model, exported, WeightDtype.FLOAT32);
            try (DecoderSession session = DecoderSession.open(exported, OracleComparison.ONE_THREAD);
                 TextTokenizer tokenizer = ModelTokenizer.open(session)) {
                int[] prompt = tokenizer.encode("Once upon a time");
                List<Integer> generated = GreedyGenerator.generate(session,
                        ModelTokenizer.withBos(session.card(), prompt), 40, token -> { });
                String continuation = ModelTokenizer.continuation(tokenizer, prompt,
                        generated.stream().mapToInt(Integer::intValue).toArray());
                assertTrue(continuation.startsWith(
                        ", there was a little girl named Lily. She loved to play outside in the park."), continuation);
            }
        }
    }

    @Test
    void failedExportLeavesAnEarlierExportInPlace() throws Exception {
        Path checkpoint = temp.resolve("checkpoint");
        CheckpointSynthesizer.write(checkpoint, SynthesisPreset.TINY_OPT, DType.F32, 1);
        Path exported = temp.resolve("onnx");
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            DecoderExporter.export(model, exported, WeightDtype.FLOAT32);
        }
        byte[] before = Files.readAllBytes(exported.resolve(DecoderIo.MODEL_FILE));
        Path unusableTokenizer = Files.writeString(temp.resolve("tokenizer.txt"), "not a tokenizer");
        try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
            // the tokenizer is copied after the graph is written: the failure happens late in the export
            LoadedModel withBadTokenizer = new LoadedModel(model.config(), model.tensors(), model.source(),
                    model.weightFiles(), Optional.of(unusableTokenizer), model.bosTokenId(), model.eosTokenId());
            IllegalArgumentException error = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class,
                    () -> DecoderExporter.export(withBadTokenizer, exported, WeightDtype.FLOAT32));
            assertTrue(error.getMessage().contains("tokenizer.txt"), error.getMessage());
        }
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(exported.resolve(DecoderIo.MODEL_FILE))));
        try (var siblings = Files.list(temp)) {
            assertFalse(siblings.anyMatch(p -> p.getFileName().toString().contains(".partial-")),
                    "staging directory left behind");
        }
    }

    static int[] randomTokens(int vocab, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] tokens = new int[PREFILL_TOKENS];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = random.nextInt(vocab);
        }
        return tokens;
    }
}
