package dev.prunelab.pruning.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.pruning.family.CheckpointTensor;
import dev.prunelab.pruning.family.gpt2.Gpt2Names;
import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.llama.LlamaNames;
import dev.prunelab.pruning.family.opt.OptConfig;
import dev.prunelab.pruning.family.opt.OptNames;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoaderTest {
    @TempDir
    Path dir;

    private static final List<SynthesisPreset> TINY = List.of(SynthesisPreset.TINY_LLAMA_GQA, SynthesisPreset.TINY_OPT,
            SynthesisPreset.TINY_OPT_POST_LN, SynthesisPreset.TINY_GPT2);

    @Test
    void llama2cFileFindsItsTokenizerAndPassesTheLayoutCheck() {
        try (LoadedModel model = ModelLoader.open(Llama2cCheckpointTest.LEGACY, Optional.empty())) {
            assertEquals(Optional.of(Llama2cCheckpointTest.STORIES.resolve("tok512.bin").toAbsolutePath()),
                    model.tokenizerPath().map(Path::toAbsolutePath));
            assertEquals(1, model.bosTokenId());
            assertEquals(2, model.eosTokenId());
            assertEquals(List.of(Llama2cCheckpointTest.LEGACY), model.weightFiles());
            assertTrue(((LlamaConfig) model.config()).tieWordEmbeddings());
        }
    }

    @Test
    void everyTinyPresetSynthesizesOpensAndIsDeterministic() throws IOException {
        for (SynthesisPreset preset : TINY) {
            for (DType dtype : DType.values()) {
                Path first = dir.resolve(preset.id() + "-" + dtype + "-a");
                Path second = dir.resolve(preset.id() + "-" + dtype + "-b");
                Path other = dir.resolve(preset.id() + "-" + dtype + "-c");
                CheckpointSynthesizer.write(first, preset, dtype, 42);
                CheckpointSynthesizer.write(second, preset, dtype, 42);
                CheckpointSynthesizer.write(other, preset, dtype, 43);
                byte[] bytes = Files.readAllBytes(first.resolve("model.safetensors"));
                assertArrayEquals(bytes, Files.readAllBytes(second.resolve("model.safetensors")), preset.id());
                assertFalse(java.util.Arrays.equals(bytes, Files.readAllBytes(other.resolve("model.safetensors"))));
                try (LoadedModel model = ModelLoader.open(first, Optional.empty())) {
                    assertEquals(preset.config().config(), model.config(), preset.id());
                    assertEquals(preset.config().bosTokenId(), model.bosTokenId());
                    Set<String> expected = new TreeSet<>();
                    for (CheckpointTensor tensor : CheckpointSynthesizer.layout(model.config())) {
                        expected.add(tensor.name());
                        TensorInfo info = model.tensors().info(tensor.name());
                        assertEquals(dtype, info.dtype());
                        assertArrayEquals(tensor.shape(), info.shape(), tensor.name());
                        float[] values = model.tensors().readFloats(tensor.name());
                        double mean = 0;
                        for (float value : values) {
                            mean += value / values.length;
                        }
                        double target = tensor.init() == CheckpointTensor.Init.NORM ? 1.0 : 0.0;
                        assertEquals(target, mean, values.length > 1000 ? 0.01 : 0.1, tensor.name());
                    }
                    assertEquals(expected, model.tensors().names());
                }
            }
        }
    }

    @Test
    void postLnOptHasProjectionsAndNoFinalNorm() {
        Path model = dir.resolve("opt");
        CheckpointSynthesizer.write(model, SynthesisPreset.TINY_OPT_POST_LN, DType.F32, 1);
        try (LoadedModel loaded = ModelLoader.open(model)) {
            assertTrue(loaded.tensors().contains(OptNames.PROJECT_IN));
            assertArrayEquals(new long[] {512, 32}, loaded.tensors().info(OptNames.EMBED).shape());
            assertFalse(loaded.tensors().contains(OptNames.FINAL_NORM + "weight"));
            assertFalse(((OptConfig) loaded.config()).hasFinalLayerNorm());
        }
    }

    @Test
    void largeCheckpointsAreShardedWithAnIndex() throws IOException {
        Path model = dir.resolve("sharded");
        Path single = dir.resolve("single");
        HuggingFaceConfig config = SynthesisPreset.TINY_LLAMA_GQA.config();
        CheckpointSynthesizer.write(model, config, DType.F16, 5, 70_000);
        CheckpointSynthesizer.write(single, config, DType.F16, 5, Long.MAX_VALUE);
        assertTrue(Files.exists(model.resolve("model.safetensors.index.json")));
        assertFalse(Files.exists(model.resolve("model.safetensors")));
        try (LoadedModel sharded = ModelLoader.open(model); LoadedModel whole = ModelLoader.open(single)) {
            assertTrue(sharded.weightFiles().size() > 2, sharded.weightFiles().toString());
            for (Path shard : sharded.weightFiles()) {
                assertTrue(Files.size(shard) <= 70_000 + 4096, shard + " " + Files.size(shard));
            }
            assertEquals(whole.tensors().names(), sharded.tensors().names());
            for (String name : whole.tensors().names()) {
                float[] values = whole.tensors().readFloats(name);
                assertArrayEquals(values, sharded.tensors().readFloats(name), name);
                // a range comes from the shard that holds the tensor, as the model's tensors see it
                int first = values.length / 3;
                int count = values.length / 2;
                assertArrayEquals(Arrays.copyOfRange(values, first, first + count),
                        sharded.tensors().readRange(name, first, count), name + " range");
            }
        }
    }

    @Test
    void indexPointingAtTheWrongShardNamesBoth() throws IOException {
        Path model = dir.resolve("sharded");
        CheckpointSynthesizer.write(model, SynthesisPreset.TINY_GPT2.config(), DType.F32, 5, 100_000);
        Path index = model.resolve("model.safetensors.index.json");
        String json = Files.readString(index);
        String wrong = json.replaceFirst("(\"transformer.wte.weight\" : \")[^\"]+\"",
                "$1model-00002-of-" + json.replaceAll("(?s).*-of-(\\d+)\\.safetensors.*", "$1") + ".safetensors\"");
        Files.writeString(index, wrong);
        ModelFormatException error = assertThrows(ModelFormatException.class, () -> ModelLoader.open(model));
        assertTrue(error.getMessage().contains("transformer.wte.weight") && error.getMessage().contains("model-00002"),
                error.getMessage());
    }

    @Test
    void missingPathsAndFilesAreExplained() throws IOException {
        assertTrue(assertThrows(ModelFormatException.class, () -> ModelLoader.open(dir.resolve("nope")))
                .getMessage().contains("does not exist"));
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertTrue(assertThrows(ModelFormatException.class, () -> ModelLoader.open(empty))
                .getMessage().contains("config.json"));
        Path torch = dir.resolve("torch");
        CheckpointSynthesizer.write(torch, SynthesisPreset.TINY_OPT, DType.F32, 1);
        Files.move(torch.resolve("model.safetensors"), torch.resolve("pytorch_model.bin"));
        assertTrue(assertThrows(ModelFormatException.class, () -> ModelLoader.open(torch))
                .getMessage().contains("only safetensors"));
        Files.delete(torch.resolve("pytorch_model.bin"));
        String none = assertThrows(ModelFormatException.class, () -> ModelLoader.open(torch)).getMessage();
        assertTrue(none.contains("model.safetensors") && none.contains("model.safetensors.index.json"), none);
        Files.writeString(torch.resolve("config.json"), "{\"model_type\":\"bloom\"}");
        assertTrue(assertThrows(ModelFormatException.class, () -> ModelLoader.open(torch))
                .getMessage().contains("unknown model_type 'bloom'"));
    }

    @Test
    void directoryTokenizerIsFound() throws IOException {
        Path model = dir.resolve("gpt2");
        CheckpointSynthesizer.write(model, SynthesisPreset.TINY_GPT2, DType.F32, 1);
        try (LoadedModel loaded = ModelLoader.open(model)) {
            assertEquals(Optional.empty(), loaded.tokenizerPath());
        }
        Files.writeString(model.resolve("vocab.json"), "{}");
        Files.writeString(model.resolve("merges.txt"), "");
        try (LoadedModel loaded = ModelLoader.open(model)) {
            assertEquals(Optional.of(model), loaded.tokenizerPath());
        }
        Files.writeString(model.resolve("tokenizer.json"), "{}");
        try (LoadedModel loaded = ModelLoader.open(model)) {
            assertEquals(Optional.of(model.resolve("tokenizer.json")), loaded.tokenizerPath());
        }
    }

    /** A source over another with some tensors replaced, removed or reshaped. */
    @Test
    void layoutCheckNamesMissingTensorsAndBadShapesButAcceptsNarrowerLayers() {
        Path model = dir.resolve("llama");
        CheckpointSynthesizer.write(model, SynthesisPreset.TINY_LLAMA_GQA, DType.F32, 1);
        try (LoadedModel loaded = ModelLoader.open(model)) {
            LlamaConfig config = (LlamaConfig) loaded.config();
            Map<String, long[]> edits = new HashMap<>();
            edits.put(LlamaNames.LM_HEAD, null);
            String missing = assertThrows(ModelFormatException.class, () -> ModelLoader.checkLayout(config,
                    new EditedTensors(loaded.tensors(), edits), model)).getMessage();
            assertTrue(missing.contains("'lm_head.weight'") && missing.contains("missing"), missing);

            edits.clear();
            edits.put(LlamaNames.mlp(1, "up_proj.weight"), new long[] {95, 64});
            String shape = assertThrows(ModelFormatException.class, () -> ModelLoader.checkLayout(config,
                    new EditedTensors(loaded.tensors(), edits), model)).getMessage();
            assertTrue(shape.contains("up_proj.weight") && shape.contains("[95, 64]") && shape.contains("[96, 64]"), shape);

            edits.clear();
            edits.put(LlamaNames.attention(0, "q_proj.weight"), new long[] {60, 64});
            String heads = assertThrows(ModelFormatException.class, () -> ModelLoader.checkLayout(config,
                    new EditedTensors(loaded.tensors(), edits), model)).getMessage();
            assertTrue(heads.contains("q_proj.weight") && heads.contains("head_dim"), heads);

            // Layer 1 pruned to 4 of 8 query heads, 1 of 2 kv heads and an MLP of 40: consistent, so accepted.
            edits.clear();
            edits.put(LlamaNames.attention(1, "q_proj.weight"), new long[] {32, 64});
            edits.put(LlamaNames.attention(1, "k_proj.weight"), new long[] {8, 64});
            edits.put(LlamaNames.attention(1, "v_proj.weight"), new long[] {8, 64});
            edits.put(LlamaNames.attention(1, "o_proj.weight"), new long[] {64, 32});
            edits.put(LlamaNames.mlp(1, "gate_proj.weight"), new long[] {40, 64});
            edits.put(LlamaNames.mlp(1, "up_proj.weight"), new long[] {40, 64});
            edits.put(LlamaNames.mlp(1, "down_proj.weight"), new long[] {64, 40});
            ModelLoader.checkLayout(config, new EditedTensors(loaded.tensors(), edits), model);

            edits.put(LlamaNames.attention(1, "k_proj.weight"), new long[] {24, 64});
            edits.put(LlamaNames.attention(1, "v_proj.weight"), new long[] {24, 64});
            String grouping = assertThrows(ModelFormatException.class, () -> ModelLoader.checkLayout(config,
                    new EditedTensors(loaded.tensors(), edits), model)).getMessage();
            assertTrue(grouping.contains("4 query heads cannot be grouped over 3"), grouping);
        }
    }

    @Test
    void gpt2AndOptShapeErrorsAreNamed() {
        Path gpt2 = dir.resolve("gpt2");
        CheckpointSynthesizer.write(gpt2, SynthesisPreset.TINY_GPT2, DType.F32, 1);
        Path opt = dir.resolve("opt");
        CheckpointSynthesizer.write(opt, SynthesisPreset.TINY_OPT, DType.F32, 1);
        try (LoadedModel g = ModelLoader.open(gpt2); LoadedModel o = ModelLoader.open(opt)) {
            String cAttn = Gpt2Names.attention(0, "c_attn.weight");
            String error = assertThrows(ModelFormatException.class, () -> ModelLoader.checkLayout(g.config(),
                    new EditedTensors(g.tensors(), Map.of(cAttn, new long[] {192, 64})), gpt2)).getMessage();
            assertTrue(error.contains(cAttn) && error.contains("[192, 64]"), error);
            String bias = OptNames.mlp(1, "fc2.bias");
            Map<String, long[]> edits = new HashMap<>();
            edits.put(bias, null);
            String missing = assertThrows(ModelFormatException.class, () -> ModelLoader.checkLayout(o.config(),
                    new EditedTensors(o.tensors(), edits), opt)).getMessage();
            assertTrue(missing.contains(bias), missing);
        }
    }
}
