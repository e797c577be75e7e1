package dev.prunelab.pruning.family.gpt2;

/**
 * Canonical Hugging Face tensor names of the GPT-2 family. Sources normalise optional prefixes to these
 * (a checkpoint saved from GPT2Model lacks "transformer."),
 * so the exporter, the pruner and the reference forward pass name every weight the same way.
 * Conv1D weights are [in, out], the transpose of a Linear's.
 */
public final class Gpt2Names {
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

    private Gpt2Names() {
    }
}
