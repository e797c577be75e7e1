package dev.prunelab.pruning.family.gemma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.EditedTensors;
import dev.prunelab.pruning.checkpoint.HuggingFaceConfig;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.family.gemma.GemmaConfig.LayerType;
import dev.prunelab.pruning.family.gemma.GemmaConfig.Rope;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Gemma 2 and Gemma 3 configs read as transformers builds them (its defaults, null fields, layer types, the two
 * rotary bases), written back as save_pretrained would, and every refusal naming its field or tensor.
 */
class GemmaFamilyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SOURCE = Path.of("gemma/config.json");
    private static final String SHAPE = "\"vocab_size\": 512, \"hidden_size\": 48, \"intermediate_size\": 96,"
            + " \"num_hidden_layers\": 4, \"num_attention_heads\": 4";

    @TempDir
    Path dir;

    private static GemmaConfig parse(String json) throws Exception {
        return (GemmaConfig) HuggingFaceConfig.parse(JSON.readTree(json), SOURCE).config();
    }

    private static String refused(String json) throws Exception {
        String message = assertThrows(ModelFormatException.class,
                () -> HuggingFaceConfig.parse(JSON.readTree(json), SOURCE)).getMessage();
        assertTrue(message.startsWith(SOURCE.toString()) && !message.contains("\n"), message);
        return message.substring(SOURCE.toString().length() + 2);
    }

    @Test
    void publishedGemma2ConfigReadsAsTransformersBuildsIt() {
        HuggingFaceConfig published = SynthesisPreset.GEMMA2_2B.config();
        GemmaConfig c = (GemmaConfig) published.config();
        assertEquals("gemma", ModelFamilies.of(c).id());
        assertEquals(26, c.numLayers());
        assertEquals(256, c.headDim());
        // Gemma 2 alternates: sliding on even layers, full on odd ones (layer_idx % 2 in transformers)
        for (int layer = 0; layer < 26; layer++) {
            assertEquals(layer % 2 == 0 ? LayerType.SLIDING : LayerType.FULL, c.attention().layerTypes().get(layer));
            assertEquals(layer % 2 == 0 ? 4096 : 0, c.attention().window(layer));
        }
        assertEquals(50.0, c.attention().logitSoftcap());
        assertEquals(30.0, c.finalLogitSoftcap());
        assertEquals(1.0 / 16, c.attention().scale());
        assertEquals(Rope.unscaled(10000.0), c.attention().rope(0));
        assertEquals(Rope.unscaled(10000.0), c.attention().rope(1));
        assertTrue(c.tieWordEmbeddings());
        assertFalse(c.qkNorm());
        for (DType dtype : DType.values()) {
            assertEquals(48.0f, c.embeddingScale(dtype));    // sqrt(2304) is exact in every dtype
        }
        assertEquals(2, published.bosTokenId());
        assertEquals(1, published.eosTokenId());
    }

    @Test
    void publishedGemma3ConfigHasItsLocalBaseAndEverySixthLayerFull() throws Exception {
        // written with its torch_dtype and read back, as a downloaded checkpoint's config.json is
        Path configJson = Files.createDirectories(dir.resolve("gemma-3-1b")).resolve("config.json");
        SynthesisPreset.GEMMA3_1B.config().write(configJson, DType.BF16);
        GemmaConfig c = (GemmaConfig) HuggingFaceConfig.read(configJson).config();
        Set<Integer> full = IntStream.range(0, 26).filter(l -> c.attention().layerTypes().get(l) == LayerType.FULL)
                .boxed().collect(Collectors.toSet());
        assertEquals(Set.of(5, 11, 17, 23), full);
        assertEquals(Rope.unscaled(1_000_000.0), c.attention().rope(5));
        assertEquals(Rope.unscaled(10_000.0), c.attention().rope(0));
        assertEquals(512, c.attention().window(0));
        assertEquals(0, c.attention().window(5));
        assertEquals(0.0, c.attention().logitSoftcap());
        assertEquals(0.0, c.finalLogitSoftcap());
        assertTrue(c.qkNorm());
        assertEquals(1, c.numKvHeads());
        // transformers: torch.tensor(1152 ** 0.5, dtype=torch.bfloat16) is 34.0, not 33.941
        assertEquals(34.0f, c.embeddingScale(DType.BF16));
        assertEquals(33.941125f, c.embeddingScale(DType.F32), 1e-5f);
        assertEquals(33.9375f, c.embeddingScale(DType.F16));
        ObjectNode written = (ObjectNode) JSON.readTree(configJson.toFile());
        assertEquals(6, written.get("sliding_window_pattern").intValue(), "for transformers before layer_types");
        assertEquals("bfloat16", written.get("torch_dtype").textValue());
    }

    @Test
    void absentFieldsTakeTransformersDefaultsAndNullTurnsFeaturesOff() throws Exception {
        GemmaConfig gemma2 = parse("{\"model_type\": \"gemma2\", " + SHAPE + "}");
        assertEquals(4, gemma2.numKvHeads());
        assertEquals(256, gemma2.headDim());
        assertEquals(8192, gemma2.contextLength());
        assertEquals(4096, gemma2.attention().slidingWindow());
        assertEquals(50.0, gemma2.attention().logitSoftcap());
        assertEquals(30.0, gemma2.finalLogitSoftcap());
        assertEquals(1.0 / 16, gemma2.attention().scale());

        GemmaConfig off = parse("{\"model_type\": \"gemma2\", " + SHAPE + ", \"sliding_window\": null,"
                + " \"attn_logit_softcapping\": null, \"final_logit_softcapping\": null}");
        assertEquals(0, off.attention().window(0));
        assertEquals(0.0, off.attention().logitSoftcap());
        assertEquals(0.0, off.finalLogitSoftcap());

        GemmaConfig gemma3 = parse("{\"model_type\": \"gemma3_text\", " + SHAPE + ", \"sliding_window_pattern\": 2,"
                + " \"attn_logit_softcapping\": 50.0, \"rope_scaling\": {\"type\": \"linear\", \"factor\": 8.0}}");
        assertEquals(List.of(LayerType.SLIDING, LayerType.FULL, LayerType.SLIDING, LayerType.FULL),
                gemma3.attention().layerTypes());
        assertEquals(0.0, gemma3.attention().logitSoftcap(), "Gemma3Attention never passes the cap on");
        assertEquals(new Rope(1_000_000.0, 8.0), gemma3.attention().rope(1));
        assertEquals(Rope.unscaled(10_000.0), gemma3.attention().rope(0));
        assertEquals(131_072, gemma3.contextLength());

        // transformers 5 spells the two rotaries as rope_parameters per layer type
        GemmaConfig v5 = parse("{\"model_type\": \"gemma3_text\", " + SHAPE + ", \"rope_parameters\": {"
                + "\"full_attention\": {\"rope_type\": \"linear\", \"factor\": 4.0, \"rope_theta\": 500000.0},"
                + "\"sliding_attention\": {\"rope_type\": \"default\", \"rope_theta\": 20000.0}}}");
        assertEquals(new Rope(500_000.0, 4.0), v5.attention().fullRope());
        assertEquals(Rope.unscaled(20_000.0), v5.attention().slidingRope());
    }

    @Test
    void everyPresetWritesTheConfigItReads() throws Exception {
        for (SynthesisPreset preset : List.of(SynthesisPreset.TINY_GEMMA2, SynthesisPreset.TINY_GEMMA3,
                SynthesisPreset.GEMMA2_2B, SynthesisPreset.GEMMA3_1B)) {
            Path configJson = Files.createDirectories(dir.resolve(preset.id())).resolve("config.json");
            preset.config().write(configJson, DType.F32);
            assertEquals(preset.config(), HuggingFaceConfig.read(configJson), preset.id());
        }
        // explicit layer types that follow no pattern are written as a list only
        GemmaConfig irregular = parse("{\"model_type\": \"gemma3_text\", " + SHAPE + ", \"layer_types\": ["
                + "\"full_attention\", \"sliding_attention\", \"sliding_attention\", \"full_attention\"]}");
        HuggingFaceConfig config = new HuggingFaceConfig(irregular, 2, 1);
        ObjectNode json = config.toJson(DType.F32);
        assertFalse(json.has("sliding_window_pattern"));
        assertEquals(config, HuggingFaceConfig.parse(json, SOURCE));
    }

    @Test
    void droppedBlocksKeepTheirOwnLayerTypes() {
        GemmaConfig c = (GemmaConfig) SynthesisPreset.GEMMA3_1B.config().config();
        GemmaConfig kept = c.keepingLayers(new int[] {0, 5, 7});
        assertEquals(List.of(LayerType.SLIDING, LayerType.FULL, LayerType.SLIDING), kept.attention().layerTypes());
        assertEquals(3, kept.numLayers());
        assertEquals(c.attention().layerTypes().subList(0, 7), c.withLayers(7).attention().layerTypes());
    }

    // model_type | the one unsupported field | the line that refuses it (` quotes a value holding the delimiter)
    @ParameterizedTest(name = "{2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            gemma3_text | "rope_scaling": {"rope_type": "yarn", "factor": 4.0} | field 'rope_scaling': rope_type 'yarn' is not supported (default, linear)
            gemma2 | "rope_scaling": {"rope_type": "linear"} | field 'rope_scaling': linear scaling needs a factor of at least 1, was null
            gemma2 | "hidden_activation": "gelu" | field 'hidden_activation': 'gelu' is not supported (gelu_pytorch_tanh)
            gemma3_text | "use_bidirectional_attention": true | field 'use_bidirectional_attention': true is not supported (causal decoders only)
            gemma3_text | "layer_types": ["sliding_attention", "full_attention"] | field 'layer_types' has 2 entries for num_hidden_layers 4
            gemma2 | "layer_types": ["sliding_attention", "chunked_attention", "sliding_attention", "full_attention"] | field 'layer_types': entry 1 'chunked_attention' is not supported (sliding_attention, full_attention)
            gemma2 | "sliding_window": 0 | field 'sliding_window' must be positive or null, was 0
            gemma2 | "attn_logit_softcapping": -50.0 | field 'attn_logit_softcapping' must be a positive number or null, was -50.0
            gemma2 | "num_key_value_heads": 3 | num_attention_heads 4 is not a multiple of num_key_value_heads 3
            """)
    void unsupportedConfigsAreRefusedNamingTheField(String modelType, String field, String problem) throws Exception {
        assertEquals(problem, refused("{\"model_type\": \"" + modelType + "\", " + SHAPE + ", " + field + "}"));
    }

    @Test
    void anUnknownModelTypeIsRefusedNamingTheSupportedOnes() throws Exception {
        assertEquals("field 'model_type': unknown model_type 'gemma3' (supported: " + String.join(", ",
                ModelFamilies.all().stream().flatMap(f -> f.modelTypes().stream()).toList()) + ")",
                refused("{\"model_type\": \"gemma3\", \"text_config\": {}}"));
    }

    @Test
    void aConfigThatContradictsItsTensorsIsNamedFieldAndTensor() throws Exception {
        Path model = dir.resolve("tiny-gemma3");
        CheckpointSynthesizer.write(model, SynthesisPreset.TINY_GEMMA3, DType.F32, 1);
        try (LoadedModel loaded = ModelLoader.open(model)) {
            assertEquals(3, loaded.config().numLayers());
        }
        Path configJson = model.resolve("config.json");
        ObjectNode json = (ObjectNode) JSON.readTree(configJson.toFile());
        json.put("num_key_value_heads", 1);
        Files.writeString(configJson, json.toString());
        String kv = assertThrows(ModelFormatException.class, () -> ModelLoader.open(model)).getMessage();
        assertTrue(kv.contains("'model.layers.0.self_attn.k_proj.weight'") && kv.contains("num_key_value_heads")
                && kv.contains("says 1"), kv);

        json.put("num_key_value_heads", 2).put("head_dim", 8);
        Files.writeString(configJson, json.toString());
        String headDim = assertThrows(ModelFormatException.class, () -> ModelLoader.open(model)).getMessage();
        assertTrue(headDim.contains("'model.layers.0.self_attn.q_proj.weight'") && headDim.contains("head_dim"),
                headDim);

        json.put("head_dim", 16).put("hidden_size", 64);
        Files.writeString(configJson, json.toString());
        String hidden = assertThrows(ModelFormatException.class, () -> ModelLoader.open(model)).getMessage();
        assertTrue(hidden.contains("'model.embed_tokens.weight'") && hidden.contains("[512, 48]")
                && hidden.contains("[512, 64]"), hidden);
    }

    @Test
    void missingAndMisshapenTensorsAreNamed() {
        Path model = dir.resolve("tiny-gemma3");
        CheckpointSynthesizer.write(model, SynthesisPreset.TINY_GEMMA3, DType.F32, 1);
        try (LoadedModel loaded = ModelLoader.open(model)) {
            GemmaConfig c = (GemmaConfig) loaded.config();
            String qNorm = GemmaNames.attention(1, "q_norm.weight");
            String missing = assertThrows(ModelFormatException.class, () -> ModelLoader.checkLayout(c,
                    new EditedTensors(loaded.tensors(), Collections.singletonMap(qNorm, null)), model)).getMessage();
            assertTrue(missing.contains("'" + qNorm + "'") && missing.contains("missing (required by the gemma3_text"
                    + " layout)"), missing);
            String postNorm = GemmaNames.norm(2, GemmaNames.POST_FEEDFORWARD_NORM);
            String shape = assertThrows(ModelFormatException.class, () -> ModelLoader.checkLayout(c,
                    new EditedTensors(loaded.tensors(), Map.of(postNorm, new long[] {47})), model)).getMessage();
            assertTrue(shape.contains("'" + postNorm + "'") && shape.contains("[47]") && shape.contains("[48]"), shape);
            String lmHead = assertThrows(ModelFormatException.class, () -> ModelLoader.checkLayout(c,
                    new EditedTensors(loaded.tensors(), Collections.singletonMap(GemmaNames.LM_HEAD, null)), model))
                    .getMessage();
            assertTrue(lmHead.contains("'lm_head.weight'") && lmHead.contains("missing"), lmHead);
        }
    }
}
