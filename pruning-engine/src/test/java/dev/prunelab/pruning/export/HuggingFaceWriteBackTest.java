package dev.prunelab.pruning.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.calibration.WindowSource;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.HuggingFaceConfig;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SafetensorsFile;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.HalfFloats;
import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.pruning.unstructured.PruneRequest;
import dev.prunelab.pruning.unstructured.SequentialPruner;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.WeightDtype;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An unstructured or N:M result written back as a Hugging Face directory in its source's layout reads through the
 * lab's own Hugging Face reader as the same model: the same names, dtypes, shapes and shards, the untouched tensors
 * bit for bit, the pruned ones with their zeros exactly where the pruned model has them.
 */
class HuggingFaceWriteBackTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    /** tiny-llama-gqa with an untied head, in {@code dtype}, sharded when {@code maxShardBytes} is small. */
    private Path synthesize(String name, DType dtype, boolean tied, long maxShardBytes) throws IOException {
        ObjectNode json = SynthesisPreset.TINY_LLAMA_GQA.config().toJson(dtype);
        json.put("tie_word_embeddings", tied);
        Path directory = temp.resolve(name);
        CheckpointSynthesizer.write(directory, HuggingFaceConfig.parse(json, directory.resolve("config.json")), dtype, 3,
                maxShardBytes);
        // Llama 2's tokenizer files, a tiny vocabulary
        Files.writeString(directory.resolve("tokenizer.json"), """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [{"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
                                   "normalized": false, "special": true}],
                 "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null,
                 "decoder": null,
                 "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "once": 3, "upon": 4},
                           "unk_token": "<unk>"}}
                """);
        Files.writeString(directory.resolve("tokenizer_config.json"),
                "{\"add_bos_token\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}");
        Files.writeString(directory.resolve("generation_config.json"), "{\"bos_token_id\": 1, \"eos_token_id\": 2}");
        Files.writeString(directory.resolve("LICENSE"), "a licence travels with the weights");
        Files.writeString(directory.resolve("pytorch_model.bin"), "another weight format: not copied");
        return directory;
    }

    private static WindowSource randomWindows(int vocab) {
        return window -> {
            SplittableRandom random = new SplittableRandom(11);
            List<int[]> windows = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                windows.add(random.ints(window, 0, vocab).toArray());
            }
            return windows;
        };
    }

    /** Prunes {@code source} and keeps the pruned linear weights (float32 safetensors) in the returned file. */
    private Path prune(Path source, PruneMethod method, String pattern) {
        Path kept = temp.resolve(source.getFileName() + "-pruned.safetensors");
        PruneRequest request = new PruneRequest(PruneRequest.method(method), SparsityPattern.parse(pattern),
                LayerSparsity.UNIFORM, new Calibration(Path.of("random windows"), 4, 32, 0), WeightDtype.FLOAT32, 1,
                false, MaskRefinement.NONE, LinearQuantization.FLOAT, kept);
        try (LoadedModel model = ModelLoader.open(source)) {
            SequentialPruner.prune(model, request, randomWindows(model.config().vocabSize()),
                    temp.resolve(source.getFileName() + "-onnx"));
        }
        return kept;
    }

    private static List<String> files(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The header of a safetensors file: its 8-byte length and the JSON, offsets and stored names included. */
    private static byte[] header(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long length = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return java.util.Arrays.copyOf(bytes, (int) (8 + length));
    }

    /**
     * Checks {@code written} against its source and the pruned weights: the same files but other weight formats,
     * companions and headers byte for byte, every tensor's dtype and shape, untouched tensors bit for bit, and each
     * pruned tensor the pruned values rounded to its dtype with its zeros exactly the pruned ones.
     *
     * @return the kept weights that were written as the smallest subnormal because they rounded to zero
     */
    private static long assertWrittenBack(Path source, Path prunedFile, Path written) throws IOException {
        List<String> expectedFiles = new ArrayList<>(files(source));
        expectedFiles.remove("pytorch_model.bin");
        assertEquals(expectedFiles, files(written));
        for (String name : expectedFiles) {
            if (name.endsWith(".safetensors")) {
                assertArrayEquals(header(source.resolve(name)), header(written.resolve(name)), name + " header");
                assertEquals(Files.size(source.resolve(name)), Files.size(written.resolve(name)), name);
            } else {
                assertArrayEquals(Files.readAllBytes(source.resolve(name)), Files.readAllBytes(written.resolve(name)),
                        name);
            }
        }
        long keptFromZero = 0;
        try (LoadedModel original = ModelLoader.open(source); LoadedModel back = ModelLoader.open(written);
             SafetensorsFile pruned = SafetensorsFile.open(prunedFile)) {
            assertEquals(original.weightFiles().size(), back.weightFiles().size());
            assertEquals(original.tensors().names(), back.tensors().names());
            assertEquals(original.bosRule(), back.bosRule());
            for (String name : original.tensors().names()) {
                DType dtype = original.tensors().info(name).dtype();
                assertEquals(dtype, back.tensors().info(name).dtype(), name);
                assertArrayEquals(original.tensors().info(name).shape(), back.tensors().info(name).shape(), name);
                float[] values = back.tensors().readFloats(name);
                if (!pruned.contains(name)) {
                    assertArrayEquals(original.tensors().readFloats(name), values, name + " untouched");
                    continue;
                }
                float[] expected = pruned.readFloats(name);
                for (int i = 0; i < values.length; i++) {
                    assertEquals(expected[i] == 0f, values[i] == 0f, name + " zero mask at " + i);
                    float rounded = switch (dtype) {
                        case F32 -> expected[i];
                        case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(expected[i]));
                        case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(expected[i]));
                    };
                    if (rounded == 0f && expected[i] != 0f) {
                        keptFromZero++;
                        assertEquals(Math.signum(expected[i]), Math.signum(values[i]), name + " at " + i);
                    } else {
                        assertEquals(rounded, values[i], name + " at " + i);
                    }
                }
            }
        }
        return keptFromZero;
    }

    @Test
    void aWandaRunOnABfloat16ShardedUntiedCheckpointIsWrittenBackInItsLayout() throws IOException {
        Path source = synthesize("bf16-sharded", DType.BF16, false, 60_000);
        assertTrue(Files.exists(source.resolve("model.safetensors.index.json")));
        Path prunedFile = prune(source, PruneMethod.WANDA, "0.5");
        Path written = temp.resolve("written");
        HuggingFaceWriteBack.Result result = HuggingFaceWriteBack.write(source, Optional.empty(),
                Optional.of(prunedFile), written);
        assertTrue(result.shards() > 1, "shards " + result.shards());
        assertEquals(java.util.Set.of("BF16"), result.dtypes());
        assertEquals(2 * 7, result.prunedTensors());   // q, k, v, o, gate, up, down in each of 2 layers
        // Wanda keeps the source's own bfloat16 values: the pruned tensors are the pruned model exactly
        assertEquals(0, assertWrittenBack(source, prunedFile, written));
        assertEquals(0, result.keptFromZero());
        try (SafetensorsFile pruned = SafetensorsFile.open(prunedFile); LoadedModel back = ModelLoader.open(written)) {
            String name = "model.layers.1.mlp.down_proj.weight";
            assertArrayEquals(pruned.readFloats(name), back.tensors().readFloats(name));
            assertTrue(back.tensors().contains("lm_head.weight"), "the untied head stays");
        }
    }

    @Test
    void aSparseGptTwoFourRunOnAFloat16FileKeepsEveryKeptWeightNonZero() throws IOException {
        Path source = synthesize("f16", DType.F16, true, Long.MAX_VALUE);
        Path prunedFile = prune(source, PruneMethod.SPARSEGPT, "2:4");
        Path written = temp.resolve("written");
        HuggingFaceWriteBack.Result result = HuggingFaceWriteBack.write(source, Optional.empty(),
                Optional.of(prunedFile), written);
        assertEquals(1, result.shards());
        assertEquals(java.util.Set.of("F16"), result.dtypes());
        assertEquals(result.keptFromZero(), assertWrittenBack(source, prunedFile, written));
    }

    /** The rounding guard on its own: a kept weight below float16's smallest subnormal, a value beyond its range. */
    @Test
    void keptWeightsNeverRoundToZeroAndOverflowIsRefused() throws IOException {
        Path source = synthesize("f16-guard", DType.F16, true, Long.MAX_VALUE);
        String name = "model.layers.0.self_attn.o_proj.weight";
        try (LoadedModel model = ModelLoader.open(source)) {
            float[] values = model.tensors().readFloats(name);
            values[0] = 0f;
            values[1] = 1e-9f;
            values[2] = -1e-9f;
            InMemoryTensors pruned = new InMemoryTensors(Path.of("pruned"));
            pruned.put(name, values, model.tensors().info(name).shape());
            HuggingFaceWriteBack.Result result = HuggingFaceWriteBack.write(model, pruned, temp.resolve("guarded"));
            assertEquals(2, result.keptFromZero());
            try (LoadedModel back = ModelLoader.open(temp.resolve("guarded"))) {
                float[] read = back.tensors().readFloats(name);
                assertEquals(0f, read[0]);
                assertEquals(0x1p-24f, read[1]);
                assertEquals(-0x1p-24f, read[2]);
            }
            values[3] = 1e6f;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HuggingFaceWriteBack.write(model, pruned, temp.resolve("overflow")));
            assertTrue(e.getMessage().contains("tensor '" + name + "': pruned value 1000000.0 at flat index 3 "
                    + "overflows F16"), e.getMessage());
            assertFalse(Files.exists(temp.resolve("overflow")), "nothing is left of a refused write");
        }
    }

    @Test
    void aStructuredResultIsRefusedSayingItCanOnlyBeExportedToOnnx() throws IOException {
        Path source = synthesize("structured", DType.F32, true, Long.MAX_VALUE);
        String name = "model.layers.0.mlp.gate_proj.weight";
        try (LoadedModel model = ModelLoader.open(source)) {
            long[] shape = model.tensors().info(name).shape();
            InMemoryTensors cut = new InMemoryTensors(Path.of("pruned"));
            cut.put(name, new float[(int) ((shape[0] - 8) * shape[1])], shape[0] - 8, shape[1]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HuggingFaceWriteBack.write(model, cut, temp.resolve("cut")));
            assertEquals("pruned tensor '" + name + "' is [" + (shape[0] - 8) + ", " + shape[1] + "] where " + source
                    + " has [" + shape[0] + ", " + shape[1] + "]: a structured result (widths differ per layer) can "
                    + "only be exported to ONNX", e.getMessage());
            assertFalse(Files.exists(temp.resolve("cut")));
            e = assertThrows(IllegalArgumentException.class,
                    () -> HuggingFaceWriteBack.write(model, new InMemoryTensors(Path.of("none")), source));
            assertTrue(e.getMessage().contains("is or holds the source model"), e.getMessage());
        }
    }

    /**
     * llama2.c to Hugging Face Llama: the directory reads, through the Hugging Face reader that permutes nothing, as
     * the very tensors the llama2.c reader gives (q/k rows in rotate-half order), with its config and tokenizer.
     */
    @Test
    void aLlama2cCheckpointBecomesAHuggingFaceLlamaDirectory() throws IOException {
        Path checkpoint = SharedData.path("models/stories260K/stories260K.bin");
        Path written = temp.resolve("stories260K-hf");
        String pruned = "model.layers.2.mlp.up_proj.weight";
        try (LoadedModel source = ModelLoader.open(checkpoint)) {
            float[] values = source.tensors().readFloats(pruned);
            for (int i = 0; i < values.length; i += 2) {
                values[i] = 0f;
            }
            InMemoryTensors overlay = new InMemoryTensors(Path.of("pruned"));
            overlay.put(pruned, values, source.tensors().info(pruned).shape());
            HuggingFaceWriteBack.Result result = HuggingFaceWriteBack.write(source, overlay, written);
            assertEquals(List.of("config.json", "model.safetensors", "tokenizer.bin"), result.files());
            JsonNode config = JSON.readTree(written.resolve("config.json").toFile());
            assertEquals("llama", config.get("model_type").asText());
            assertTrue(config.get("tie_word_embeddings").asBoolean());
            assertEquals("float32", config.get("torch_dtype").asText());
            try (LoadedModel back = ModelLoader.open(written)) {
                assertEquals(source.tensors().names(), back.tensors().names());
                for (String name : source.tensors().names()) {
                    assertEquals(DType.F32, back.tensors().info(name).dtype());
                    float[] expected = name.equals(pruned) ? values : source.tensors().readFloats(name);
                    assertArrayEquals(expected, back.tensors().readFloats(name), name);
                }
                assertEquals(source.config(), back.config());
                assertEquals(1, back.bosTokenId());
                assertEquals(written.resolve("tokenizer.bin"), back.tokenizerPath().orElseThrow());
            }
        }
        assertArrayEquals(Files.readAllBytes(checkpoint.resolveSibling("tok512.bin")),
                Files.readAllBytes(written.resolve("tokenizer.bin")));
    }

    static Stream<SynthesisPreset> tinyPresets() {
        return Stream.of(SynthesisPreset.values()).filter(p -> p.id().startsWith("tiny-"));
    }

    /**
     * Every family's linear modules written back under the names and layout its checkpoint stores (Phi-3's fused
     * qkv_proj and gate_up_proj put together again from the matrices the lab prunes), read back as what was pruned.
     */
    @ParameterizedTest
    @MethodSource("tinyPresets")
    void everyFamilysPrunedLinearsReadBackAsPruned(SynthesisPreset preset) throws IOException {
        Path source = temp.resolve(preset.id());
        CheckpointSynthesizer.write(source, preset.config(), DType.F16, 5, CheckpointSynthesizer.DEFAULT_MAX_SHARD_BYTES);
        Path written = temp.resolve(preset.id() + "-written");
        InMemoryTensors pruned = new InMemoryTensors(Path.of("pruned"));
        try (LoadedModel model = ModelLoader.open(source)) {
            FamilyGraphs family = ModelFamilies.of(model.config()).graphs(model.config());
            for (int layer = 0; layer < model.config().numLayers(); layer++) {
                for (String module : family.linearInputs(layer).keySet()) {
                    String name = module + ".weight";
                    float[] values = model.tensors().readFloats(name);
                    for (int i = 0; i < values.length; i += 3) {
                        values[i] = 0f;
                    }
                    pruned.put(name, values, model.tensors().info(name).shape());
                }
            }
            HuggingFaceWriteBack.write(model, pruned, written);
            try (LoadedModel back = ModelLoader.open(written)) {
                assertEquals(model.tensors().names(), back.tensors().names());
                for (String name : model.tensors().names()) {
                    float[] expected = pruned.contains(name) ? pruned.readFloats(name) : model.tensors().readFloats(name);
                    assertArrayEquals(expected, back.tensors().readFloats(name), preset.id() + " " + name);
                }
            }
        }
        for (String name : files(source)) {
            if (name.endsWith(".safetensors")) {
                assertArrayEquals(header(source.resolve(name)), header(written.resolve(name)), name + " header");
            }
        }
    }

    /** Without pruned weights a Hugging Face source is copied as it is: every weight file byte for byte. */
    @Test
    void withoutPrunedWeightsTheSourceIsCopiedExactly() throws IOException {
        Path source = synthesize("copy", DType.BF16, false, 60_000);
        Path written = temp.resolve("copy-written");
        HuggingFaceWriteBack.Result result = HuggingFaceWriteBack.write(source, Optional.empty(), Optional.empty(),
                written);
        assertEquals(0, result.prunedTensors());
        for (String name : result.files()) {
            assertArrayEquals(Files.readAllBytes(source.resolve(name)), Files.readAllBytes(written.resolve(name)), name);
        }
    }
}
