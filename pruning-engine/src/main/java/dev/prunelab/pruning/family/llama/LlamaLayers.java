package dev.prunelab.pruning.family.llama;

import dev.prunelab.pruning.family.ModelFamily;
import dev.prunelab.pruning.family.Units;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import java.util.List;

/**
 * The layer layout Llama, Gemma 2/3 and Phi-3 (once its fused matrices are split) share: {@code model.layers.N.}
 * with self_attn q/k/v/o_proj and mlp gate/up/down_proj, and an LM head as wide as the hidden state. The structured
 * units and the head's cost follow from those names alone, so the families take them from here.
 */
public interface LlamaLayers extends ModelFamily {

    @Override
    default String layerPrefix() {
        return "model.layers.";
    }

    @Override
    default int kvHeads(DecoderConfig config, TensorSource weights, int layer) {
        return Units.outputHeads(config, weights, LlamaNames.attention(layer, "k_proj"));
    }

    /** Rows of gate_proj and up_proj and columns of down_proj; the norms around the MLP are hidden-wide. */
    @Override
    default Units mlpUnits(DecoderConfig config, TensorSource weights, int layer) {
        return Units.linearMlp(config, weights, layer,
                List.of(LlamaNames.mlp(layer, "gate_proj"), LlamaNames.mlp(layer, "up_proj")),
                LlamaNames.mlp(layer, "down_proj"));
    }

    /**
     * Query heads' rows of q_proj (grouped by their key/value head) and columns of o_proj; with multi-head attention
     * (no GQA) also k/v rows. Qwen3's and Gemma 3's q_norm and k_norm are one [head_dim] weight every head shares,
     * so they belong to no head and removing heads leaves them as they are.
     */
    @Override
    default Units headUnits(DecoderConfig config, TensorSource weights, int layer) {
        return Units.projectionHeads(config, weights, layer, LlamaNames.attention(layer, "q_proj"),
                LlamaNames.attention(layer, "k_proj"), LlamaNames.attention(layer, "v_proj"),
                LlamaNames.attention(layer, "o_proj"));
    }

    @Override
    default long headMacs(DecoderConfig config, TensorSource weights) {
        return (long) config.vocabSize() * config.hiddenSize();
    }
}
