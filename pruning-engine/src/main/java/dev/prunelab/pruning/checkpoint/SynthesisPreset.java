package dev.prunelab.pruning.checkpoint;

import dev.prunelab.pruning.family.gpt2.Gpt2Config;
import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.opt.OptConfig;
import dev.prunelab.pruning.model.DecoderConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Shapes of real models (for memory and speed measurements without downloading weights) and tiny shapes that
 * exercise every layout branch in tests: grouped-query attention with an untied head, pre-LN OPT, post-LN OPT
 * with project_in/out, GPT-2's Conv1D layout, Gemma 2's soft caps and Gemma 3's q/k norms and two rotary bases
 * around sliding-window layers. A preset may be written as config.json text, read as a checkpoint's is.
 */
public enum SynthesisPreset {
    OPT_125M("opt-125m", opt(50272, 768, 3072, 12, 12, 2048, 768, true), 2, 2),
    OPT_350M("opt-350m", opt(50272, 1024, 4096, 24, 16, 2048, 512, false), 2, 2),
    OPT_1_3B("opt-1.3b", opt(50272, 2048, 8192, 24, 32, 2048, 2048, true), 2, 2),
    GPT2("gpt2", new Gpt2Config(50257, 768, 3072, 12, 12, 1024, 1e-5, "gelu_new"), 50256, 50256),
    LLAMA_1B("llama-1b", new LlamaConfig("llama", 128256, 2048, 8192, 16, 32, 8, 64, 2048, 1e-5, 500000.0,
            true, false, false), 128000, 128001),
    // The published config.json fields of meta-llama/Llama-3.1-8B: grouped-query attention (32 query, 8 key-value
    // heads), a 14336-wide MLP, an untied head over 128256 tokens and Llama 3's rotary scaling
    LLAMA_3_8B("llama-3-8b", """
            {"model_type": "llama", "vocab_size": 128256, "hidden_size": 4096, "intermediate_size": 14336,
             "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
             "max_position_embeddings": 131072, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
             "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                              "original_max_position_embeddings": 8192, "rope_type": "llama3"},
             "attention_bias": false, "mlp_bias": false, "tie_word_embeddings": false,
             "bos_token_id": 128000, "eos_token_id": 128001}"""),
    LLAMA_7B("llama-7b", new LlamaConfig("llama", 32000, 4096, 11008, 32, 32, 32, 128, 4096, 1e-5, 10000.0,
            false, false, false), 1, 2),
    // Gemma: the published config.json fields of google/gemma-2-2b and google/gemma-3-1b-pt
    GEMMA2_2B("gemma-2-2b", """
            {"model_type": "gemma2", "vocab_size": 256000, "hidden_size": 2304, "intermediate_size": 9216,
             "num_hidden_layers": 26, "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256,
             "max_position_embeddings": 8192, "rms_norm_eps": 1e-06, "rope_theta": 10000.0,
             "query_pre_attn_scalar": 256, "sliding_window": 4096, "attn_logit_softcapping": 50.0,
             "final_logit_softcapping": 30.0, "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": true,
             "bos_token_id": 2, "eos_token_id": 1}"""),
    GEMMA3_1B("gemma-3-1b", """
            {"model_type": "gemma3_text", "vocab_size": 262144, "hidden_size": 1152, "intermediate_size": 6912,
             "num_hidden_layers": 26, "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 256,
             "max_position_embeddings": 32768, "rms_norm_eps": 1e-06, "rope_theta": 1000000,
             "rope_local_base_freq": 10000, "rope_scaling": null, "query_pre_attn_scalar": 256,
             "sliding_window": 512, "sliding_window_pattern": 6, "attn_logit_softcapping": null,
             "final_logit_softcapping": null, "hidden_activation": "gelu_pytorch_tanh", "bos_token_id": 2,
             "eos_token_id": 1}"""),
    // Gemma 2: grouped-query attention, head_dim 16 beside hidden 48, query_pre_attn_scalar apart from head_dim,
    // layers sliding (window 8, which the oracle's 16 + 8 tokens pass) and full; caps small enough to bend
    // these random weights' scores and logits
    TINY_GEMMA2("tiny-gemma2", """
            {"model_type": "gemma2", "vocab_size": 512, "hidden_size": 48, "intermediate_size": 96,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
             "max_position_embeddings": 128, "query_pre_attn_scalar": 4, "sliding_window": 8,
             "attn_logit_softcapping": 0.5, "final_logit_softcapping": 0.5, "bos_token_id": 2, "eos_token_id": 1}"""),
    // Gemma 3: q/k norms, sliding layers on the local base and a full one on the global base with linear scaling,
    // an untied head
    TINY_GEMMA3("tiny-gemma3", """
            {"model_type": "gemma3_text", "vocab_size": 512, "hidden_size": 48, "intermediate_size": 96,
             "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
             "max_position_embeddings": 128, "query_pre_attn_scalar": 64, "sliding_window": 8,
             "sliding_window_pattern": 3, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
             "rope_scaling": {"rope_type": "linear", "factor": 8.0}, "tie_word_embeddings": false,
             "bos_token_id": 2, "eos_token_id": 1}"""),
    TINY_LLAMA_GQA("tiny-llama-gqa", new LlamaConfig("llama", 512, 64, 96, 2, 8, 2, 8, 128, 1e-5, 10000.0,
            false, false, false), 1, 2),
    // Llama 3.x's rotary scaling (rope_type llama3) with the original context cut to 256, so that the 4 frequencies
    // of head_dim 8 take every branch: kept (wavelength 6 < 256/4), blended (167) and divided by the factor (4443, ...)
    TINY_LLAMA3("tiny-llama3", """
            {"model_type": "llama", "vocab_size": 512, "hidden_size": 64, "intermediate_size": 96,
             "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 8,
             "max_position_embeddings": 512, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
             "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                              "original_max_position_embeddings": 256, "rope_type": "llama3"},
             "tie_word_embeddings": true, "bos_token_id": 1, "eos_token_id": 2}"""),
    // Qwen3: q/k norms, head_dim 32 where hidden / heads is 16, grouped-query attention, an untied head
    TINY_QWEN3("tiny-qwen3", """
            {"model_type": "qwen3", "vocab_size": 512, "hidden_size": 64, "intermediate_size": 96,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32,
             "max_position_embeddings": 128, "rms_norm_eps": 1e-06, "rope_theta": 1000000, "rope_scaling": null,
             "attention_bias": false, "use_sliding_window": false, "sliding_window": null, "max_window_layers": 2,
             "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2}"""),
    // Phi-3: fused qkv_proj and gate_up_proj, half of each 16-wide head rotated, grouped-query attention and a
    // sliding window of 8, which the oracle's 16 + 8 tokens pass
    TINY_PHI3("tiny-phi3", """
            {"model_type": "phi3", "vocab_size": 512, "hidden_size": 64, "intermediate_size": 96,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
             "max_position_embeddings": 128, "original_max_position_embeddings": 128, "partial_rotary_factor": 0.5,
             "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "rope_scaling": null, "sliding_window": 8,
             "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2}"""),
    // The published config.json fields of Qwen/Qwen3-0.6B and microsoft/Phi-3-mini-4k-instruct
    QWEN3_0_6B("qwen3-0.6b", """
            {"model_type": "qwen3", "vocab_size": 151936, "hidden_size": 1024, "intermediate_size": 3072,
             "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
             "max_position_embeddings": 40960, "rms_norm_eps": 1e-06, "rope_theta": 1000000, "rope_scaling": null,
             "attention_bias": false, "use_sliding_window": false, "sliding_window": null, "max_window_layers": 28,
             "tie_word_embeddings": true, "bos_token_id": 151643, "eos_token_id": 151645}"""),
    PHI3_MINI("phi-3-mini", """
            {"model_type": "phi3", "vocab_size": 32064, "hidden_size": 3072, "intermediate_size": 8192,
             "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
             "max_position_embeddings": 4096, "original_max_position_embeddings": 4096, "rms_norm_eps": 1e-05,
             "rope_theta": 10000.0, "rope_scaling": null, "sliding_window": 2047, "tie_word_embeddings": false,
             "bos_token_id": 1, "eos_token_id": 32000}"""),
    TINY_OPT("tiny-opt", opt(512, 64, 128, 2, 4, 128, 64, true), 2, 2),
    TINY_OPT_POST_LN("tiny-opt-post-ln", opt(512, 64, 128, 2, 4, 128, 32, false), 2, 2),
    // GPT-2's real end-of-text id 50256 does not exist in a 512-token vocabulary; the last id stands in for it.
    TINY_GPT2("tiny-gpt2", new Gpt2Config(512, 64, 256, 2, 4, 128, 1e-5, "gelu_new"), 511, 511);

    private final String id;
    private final HuggingFaceConfig config;

    SynthesisPreset(String id, DecoderConfig config, int bosTokenId, int eosTokenId) {
        this.id = id;
        this.config = new HuggingFaceConfig(config, bosTokenId, eosTokenId);
    }

    /** A preset written as config.json text, read by its family as a checkpoint's config.json is. */
    SynthesisPreset(String id, String configJson) {
        this.id = id;
        try {
            this.config = HuggingFaceConfig.parse(Json.MAPPER.readTree(configJson), Path.of(id));
        } catch (IOException e) {
            throw new UncheckedIOException("preset " + id + " is not JSON", e);
        }
    }

    private static OptConfig opt(int vocab, int hidden, int ffn, int layers, int heads, int context,
                                 int wordEmbedProjDim, boolean layerNormBefore) {
        return new OptConfig(vocab, hidden, ffn, layers, heads, context, wordEmbedProjDim, layerNormBefore,
                false, true, "relu", 1e-5);
    }

    public String id() {
        return id;
    }

    public HuggingFaceConfig config() {
        return config;
    }

    public static SynthesisPreset fromId(String id) {
        for (SynthesisPreset preset : values()) {
            if (preset.id.equals(id)) {
                return preset;
            }
        }
        throw new IllegalArgumentException("unknown preset '" + id + "' (known: "
                + Arrays.stream(values()).map(SynthesisPreset::id).toList() + ")");
    }
}
