package dev.prunelab.pruning.checkpoint;

import dev.prunelab.pruning.family.gpt2.Gpt2Config;
import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.opt.OptConfig;
import dev.prunelab.pruning.model.DecoderConfig;

/**
 * Shapes of real models (for memory and speed measurements without downloading weights) and tiny shapes that
 * exercise every layout branch in tests: grouped-query attention with an untied head, pre-LN OPT, post-LN OPT
 * with project_in/out, GPT-2's Conv1D layout.
 */
public enum SynthesisPreset {
    OPT_125M("opt-125m", opt(50272, 768, 3072, 12, 12, 2048, 768, true), 2, 2),
    OPT_350M("opt-350m", opt(50272, 1024, 4096, 24, 16, 2048, 512, false), 2, 2),
    OPT_1_3B("opt-1.3b", opt(50272, 2048, 8192, 24, 32, 2048, 2048, true), 2, 2),
    GPT2("gpt2", new Gpt2Config(50257, 768, 3072, 12, 12, 1024, 1e-5, "gelu_new"), 50256, 50256),
    LLAMA_1B("llama-1b", new LlamaConfig("llama", 128256, 2048, 8192, 16, 32, 8, 64, 2048, 1e-5, 500000.0,
            true, false, false), 128000, 128001),
    LLAMA_7B("llama-7b", new LlamaConfig("llama", 32000, 4096, 11008, 32, 32, 32, 128, 4096, 1e-5, 10000.0,
            false, false, false), 1, 2),
    TINY_LLAMA_GQA("tiny-llama-gqa", new LlamaConfig("llama", 512, 64, 96, 2, 8, 2, 8, 128, 1e-5, 10000.0,
            false, false, false), 1, 2),
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
                + java.util.Arrays.stream(values()).map(SynthesisPreset::id).toList() + ")");
    }
}
