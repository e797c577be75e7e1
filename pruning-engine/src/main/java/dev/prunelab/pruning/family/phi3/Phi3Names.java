package dev.prunelab.pruning.family.phi3;

import dev.prunelab.pruning.family.llama.LlamaNames;

/**
 * The tensors a Phi-3 checkpoint stores where Llama stores separate matrices; every other tensor has its Llama name
 * ({@link LlamaNames}). Linear weights are [out, in].
 */
public final class Phi3Names {

    /** [(heads + 2 kvHeads) * headDim, hidden]: the rows of q_proj, then k_proj, then v_proj. */
    public static String qkv(int layer) {
        return LlamaNames.attention(layer, "qkv_proj.weight");
    }

    /** [2 * intermediate, hidden]: the rows of gate_proj, then up_proj (modeling_phi3's {@code chunk(2)}). */
    public static String gateUp(int layer) {
        return LlamaNames.mlp(layer, "gate_up_proj.weight");
    }

    private Phi3Names() {
    }
}
