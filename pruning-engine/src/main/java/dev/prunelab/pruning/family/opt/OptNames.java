package dev.prunelab.pruning.family.opt;

/**
 * Canonical Hugging Face tensor names of the OPT family. Sources normalise optional prefixes to these
 * (a checkpoint saved from OPTModel's decoder lacks "model."),
 * so the exporter, the pruner and the reference forward pass name every weight the same way.
 * Linear weights are [out, in].
 */
public final class OptNames {
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

    private OptNames() {
    }
}
