package dev.prunelab.pruning.model;

/**
 * Canonical Hugging Face tensor names per family. Sources normalise optional prefixes to these
 * (a GPT-2 checkpoint saved without "transformer.", an OPT one without "model."), so the exporter, the
 * pruner and the reference forward pass name every weight the same way.
 * Linear weights are [out, in] for Llama and OPT; GPT-2's Conv1D weights are [in, out].
 */
public final class WeightNames {
    private WeightNames() {
    }

    /** Llama (and Mistral, Qwen2). */
    public static final class Llama {
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

        private Llama() {
        }
    }

    /** OPT. */
    public static final class Opt {
        public static final String EMBED = "model.decoder.embed_tokens.weight";        // [vocab, wordEmbedProjDim]
        public static final String POSITIONS = "model.decoder.embed_positions.weight"; // [contextLength + 2, hidden]
        public static final String PROJECT_IN = "model.decoder.project_in.weight";     // [hidden, wordEmbedProjDim]
        public static final String PROJECT_OUT = "model.decoder.project_out.weight";   // [wordEmbedProjDim, hidden]
        public static final String FINAL_NORM = "model.decoder.final_layer_norm.";     // weight/bias [hidden]
        public static final String LM_HEAD = "lm_head.weight";                         // tied: usually absent

        public static String layer(int layer) {
            return "model.decoder.layers." + layer + ".";
        }

        /** proj: q_proj, k_proj, v_proj, out_proj; [hidden, hidden] weight and [hidden] bias. */
        public static String attention(int layer, String proj) {
            return layer(layer) + "self_attn." + proj;
        }

        /** "self_attn_layer_norm." or "final_layer_norm." + weight/bias. */
        public static String norm(int layer, String norm) {
            return layer(layer) + norm;
        }

        /** fc1 [ffn, hidden], fc2 [hidden, ffn], each with bias. */
        public static String mlp(int layer, String fc) {
            return layer(layer) + fc;
        }

        private Opt() {
        }
    }

    /** GPT-2 (Conv1D weights stored [in, out]). */
    public static final class Gpt2 {
        public static final String EMBED = "transformer.wte.weight";       // [vocab, hidden]
        public static final String POSITIONS = "transformer.wpe.weight";   // [contextLength, hidden]
        public static final String FINAL_NORM = "transformer.ln_f.";       // weight/bias [hidden]

        public static String layer(int layer) {
            return "transformer.h." + layer + ".";
        }

        /** c_attn [hidden, 3*hidden] + bias [3*hidden] (q, k, v side by side); c_proj [hidden, hidden] + bias. */
        public static String attention(int layer, String conv) {
            return layer(layer) + "attn." + conv;
        }

        /** "ln_1." or "ln_2." + weight/bias. */
        public static String norm(int layer, String norm) {
            return layer(layer) + norm;
        }

        /** c_fc [hidden, inner] + bias, c_proj [inner, hidden] + bias. */
        public static String mlp(int layer, String conv) {
            return layer(layer) + "mlp." + conv;
        }

        private Gpt2() {
        }
    }
}
