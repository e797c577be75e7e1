package dev.prunelab.pruning.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prunelab.pruning.family.gpt2.Gpt2Config;
import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.opt.OptConfig;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.ModelFormatException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HuggingFaceConfigTest {
    private static final Path SOURCE = Path.of("some/model/config.json");

    private static HuggingFaceConfig parse(String json) throws Exception {
        return HuggingFaceConfig.parse(Json.MAPPER.readTree(json), SOURCE);
    }

    private static String fails(String json) throws Exception {
        JsonNode node = Json.MAPPER.readTree(json);
        String message = assertThrows(ModelFormatException.class, () -> HuggingFaceConfig.parse(node, SOURCE)).getMessage();
        assertTrue(message.startsWith(SOURCE.toString()), message);
        return message;
    }

    private static final String LLAMA = "\"vocab_size\":32000,\"hidden_size\":4096,\"intermediate_size\":11008,"
            + "\"num_hidden_layers\":32,\"num_attention_heads\":32,\"max_position_embeddings\":4096";

    @Test
    void llamaDefaults() throws Exception {
        HuggingFaceConfig parsed = parse("{\"model_type\":\"llama\"," + LLAMA + "}");
        assertEquals(new LlamaConfig("llama", 32000, 4096, 11008, 32, 32, 32, 128, 4096, 1e-6, 10000.0,
                false, false, false), parsed.config());
        assertEquals(1, parsed.bosTokenId());
        assertEquals(2, parsed.eosTokenId());
    }

    @Test
    void qwen2HasAttentionBiasAndExplicitFieldsWin() throws Exception {
        HuggingFaceConfig parsed = parse("{\"model_type\":\"qwen2\"," + LLAMA.replace("32000", "152064") + ",\"num_key_value_heads\":8,"
                + "\"head_dim\":64,\"rope_theta\":1000000.0,\"rms_norm_eps\":1e-5,\"tie_word_embeddings\":true,"
                + "\"rope_scaling\":null,\"bos_token_id\":null,\"eos_token_id\":[151643,151645]}");
        LlamaConfig config = (LlamaConfig) parsed.config();
        assertTrue(config.attentionBias());
        assertEquals(8, config.numKvHeads());
        assertEquals(64, config.headDim());
        assertEquals(1e6, config.ropeTheta());
        assertEquals(-1, parsed.bosTokenId());
        assertEquals(151643, parsed.eosTokenId());
    }

    @Test
    void unsupportedFeaturesAreNamed() throws Exception {
        assertTrue(fails("{\"model_type\":\"llama\"," + LLAMA + ",\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":8}}")
                .contains("rope_scaling.rope_type 'yarn' is not supported"));
        assertTrue(fails("{\"model_type\":\"falcon\"}").contains("unknown model_type 'falcon'"));
        assertTrue(fails("{\"model_type\":\"gpt2\",\"vocab_size\":50257,\"n_embd\":768,\"n_layer\":12,\"n_head\":12,"
                + "\"n_positions\":1024,\"scale_attn_by_inverse_layer_idx\":true}").contains("scale_attn_by_inverse_layer_idx"));
        assertTrue(fails("{\"model_type\":\"llama\"," + LLAMA.replace("\"vocab_size\":32000,", "") + "}")
                .contains("'vocab_size' is missing"));
        assertTrue(fails("{\"model_type\":\"llama\"," + LLAMA.replace("4096,\"intermediate", "\"4096\",\"intermediate") + "}")
                .contains("'hidden_size' must be"));
        assertTrue(fails("{\"model_type\":\"llama\"," + LLAMA + ",\"num_key_value_heads\":5}").contains("num_key_value_heads"));
    }

    @Test
    void optAndGpt2Defaults() throws Exception {
        HuggingFaceConfig opt = parse("{\"model_type\":\"opt\",\"vocab_size\":50272,\"hidden_size\":1024,\"ffn_dim\":4096,"
                + "\"num_hidden_layers\":24,\"num_attention_heads\":16,\"max_position_embeddings\":2048,"
                + "\"word_embed_proj_dim\":512,\"do_layer_norm_before\":false,\"activation_function\":\"relu\"}");
        OptConfig optConfig = (OptConfig) opt.config();
        assertEquals(new OptConfig(50272, 1024, 4096, 24, 16, 2048, 512, false, false, true, "relu", 1e-5), optConfig);
        assertTrue(optConfig.projectsEmbeddings());
        assertEquals(2, opt.bosTokenId());
        HuggingFaceConfig gpt2 = parse("{\"model_type\":\"gpt2\",\"vocab_size\":50257,\"n_embd\":768,\"n_layer\":12,"
                + "\"n_head\":12,\"n_positions\":1024,\"n_inner\":null}");
        assertEquals(new Gpt2Config(50257, 768, 3072, 12, 12, 1024, 1e-5, "gelu_new"), gpt2.config());
        assertEquals(50256, gpt2.eosTokenId());
    }

    @Test
    void everyPresetSurvivesWritingAndReadingBack() throws Exception {
        for (SynthesisPreset preset : SynthesisPreset.values()) {
            for (DType dtype : DType.values()) {
                JsonNode json = preset.config().toJson(dtype);
                assertEquals(preset.config(), HuggingFaceConfig.parse(json, SOURCE), preset.id());
                assertEquals(dtype == DType.F32 ? "float32" : dtype == DType.F16 ? "float16" : "bfloat16",
                        json.get("torch_dtype").asText());
                assertTrue(json.get("architectures").get(0).asText().endsWith("LMHeadModel")
                        || json.get("architectures").get(0).asText().endsWith("ForCausalLM"));
            }
        }
    }
}
