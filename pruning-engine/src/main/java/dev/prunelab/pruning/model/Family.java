package dev.prunelab.pruning.model;

import java.util.Locale;

/** The decoder families this lab loads, exports and prunes. Keyed by config.json's {@code model_type}. */
public enum Family {
    /** Llama, and configs that differ from it only in fields (Mistral, Qwen2). Rotary positions, RMSNorm, SwiGLU. */
    LLAMA,
    /** OPT: learned positions offset by 2, LayerNorm (pre-LN or post-LN), ReLU MLP, optional project_in/out. */
    OPT,
    /** GPT-2: learned positions, pre-LN, GELU (tanh) MLP, Conv1D weights stored as [in, out]. */
    GPT2;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Maps a Hugging Face {@code model_type} to its family; an unknown type is an error that names it. */
    public static Family fromModelType(String modelType) {
        if (modelType == null) {
            throw new IllegalArgumentException("config.json has no model_type");
        }
        return switch (modelType) {
            case "llama", "mistral", "qwen2" -> LLAMA;
            case "opt" -> OPT;
            case "gpt2" -> GPT2;
            default -> throw new IllegalArgumentException("unknown model_type '" + modelType
                    + "' (supported: llama, mistral, qwen2, opt, gpt2)");
        };
    }

    public static Family fromId(String id) {
        for (Family family : values()) {
            if (family.id().equals(id)) {
                return family;
            }
        }
        throw new IllegalArgumentException("unknown family '" + id + "' (expected llama, opt or gpt2)");
    }
}
