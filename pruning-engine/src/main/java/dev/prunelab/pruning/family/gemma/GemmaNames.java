package dev.prunelab.pruning.family.gemma;

/**
 * Hugging Face tensor names of Gemma2ForCausalLM and Gemma3ForCausalLM (the text-only checkpoints, model_type
 * gemma2 and gemma3_text). Linear weights are [out, in]; every norm weight is stored as w and scales by (1 + w).
 */
public final class GemmaNames {
    public static final String EMBED = "model.embed_tokens.weight";          // [vocab, hidden]
    public static final String FINAL_NORM = "model.norm.weight";             // [hidden]
    public static final String LM_HEAD = "lm_head.weight";                   // [vocab, hidden]; absent when tied

    /** Before attention. */
    public static final String INPUT_NORM = "input_layernorm";
    /** On the attention's output, before the residual add. */
    public static final String POST_ATTENTION_NORM = "post_attention_layernorm";
    /** Before the MLP. */
    public static final String PRE_FEEDFORWARD_NORM = "pre_feedforward_layernorm";
    /** On the MLP's output, before the residual add. */
    public static final String POST_FEEDFORWARD_NORM = "post_feedforward_layernorm";

    public static String layer(int layer) {
        return "model.layers." + layer + ".";
    }

    /** One of the four norms of a layer: [hidden]. */
    public static String norm(int layer, String norm) {
        return layer(layer) + norm + ".weight";
    }

    /**
     * proj: q_proj [heads*headDim, hidden], k_proj/v_proj [kvHeads*headDim, hidden], o_proj [hidden, heads*headDim];
     * Gemma 3's q_norm and k_norm [headDim], shared by every head.
     */
    public static String attention(int layer, String proj) {
        return layer(layer) + "self_attn." + proj;
    }

    /** proj: gate_proj/up_proj [intermediate, hidden], down_proj [hidden, intermediate]. */
    public static String mlp(int layer, String proj) {
        return layer(layer) + "mlp." + proj;
    }

    private GemmaNames() {
    }
}
