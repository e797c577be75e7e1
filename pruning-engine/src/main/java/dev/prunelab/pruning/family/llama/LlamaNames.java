package dev.prunelab.pruning.family.llama;

/**
 * Canonical Hugging Face tensor names of the Llama (and Mistral, Qwen2) family. Sources normalise optional prefixes to these
 * (a checkpoint saved from LlamaModel lacks "model."),
 * so the exporter, the pruner and the reference forward pass name every weight the same way.
 * Linear weights are [out, in].
 */
public final class LlamaNames {
    public static final String EMBED = "model.embed_tokens.weight";          // [vocab, hidden]
    public static final String FINAL_NORM = "model.norm.weight";             // [hidden]
    public static final String LM_HEAD = "lm_head.weight";                   // [vocab, hidden]; absent when tied

    public static String layer(int layer) {
        return "model.layers." + layer + ".";
    }

    public static String inputNorm(int layer) {
        return layer(layer) + "input_layernorm.weight";                        // [hidden]
    }

    public static String postAttentionNorm(int layer) {
        return layer(layer) + "post_attention_layernorm.weight";               // [hidden]
    }

    /** proj: q_proj [heads*headDim, hidden], k_proj/v_proj [kvHeads*headDim, hidden], o_proj [hidden, heads*headDim]. */
    public static String attention(int layer, String proj) {
        return layer(layer) + "self_attn." + proj;
    }

    /** proj: gate_proj/up_proj [intermediate, hidden], down_proj [hidden, intermediate]. */
    public static String mlp(int layer, String proj) {
        return layer(layer) + "mlp." + proj;
    }

    private LlamaNames() {
    }
}
