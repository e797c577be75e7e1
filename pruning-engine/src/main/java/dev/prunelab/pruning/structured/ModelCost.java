package dev.prunelab.pruning.structured;

import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.family.ModelFamily;
import dev.prunelab.pruning.family.Units;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Parameters and FLOPs per token of a model, read from its weight shapes (so pruned layers count as they are).
 * FLOPs per generated token = 2 × the multiply-accumulates of every linear layer (q/k/v/o, MLP, LM head,
 * OPT's project_in/out) + 2 × 2 × queryHeads × headDim × context per layer for the attention scores (QKᵀ) and
 * the context (AV) against {@code contextTokens} cached positions. Norms, activations, biases, rotary and
 * softmax are left out (under 1% at these widths); the embedding lookup is a gather, 0 FLOPs.
 *
 * @param parameters every stored tensor's elements (a tied LM head once), as the exporter counts them
 */
public record ModelCost(long parameters, long flopsPerToken, int contextTokens, List<LayerCost> layers) {

    /**
     * @param sourceLayer the layer of the original model this one came from (differs after block dropping)
     * @param mlpWidth    intermediate channels kept
     */
    public record LayerCost(int layer, int sourceLayer, int queryHeads, int kvHeads, int mlpWidth, long parameters,
            long flopsPerToken) {
    }

    static ModelCost of(DecoderConfig config, TensorSource weights, int contextTokens, int[] sourceLayers) {
        ModelFamily family = ModelFamilies.of(config);
        String prefix = family.layerPrefix();
        long[] layerParameters = new long[config.numLayers()];
        long[] layerMacs = new long[config.numLayers()];
        long parameters = 0;
        for (String name : weights.names()) {
            long elements = weights.info(name).elementCount();
            parameters += elements;
            if (name.startsWith(prefix)) {
                int layer = Integer.parseInt(name.substring(prefix.length(), name.indexOf('.', prefix.length())));
                layerParameters[layer] += elements;
                if (weights.info(name).rank() == 2) {
                    layerMacs[layer] += elements;
                }
            }
        }
        int[] kvHeads = family.kvHeadsPerLayer(config, weights);
        List<LayerCost> layers = new ArrayList<>();
        long flops = 2L * family.headMacs(config, weights);
        for (int layer = 0; layer < config.numLayers(); layer++) {
            int queryHeads = Units.heads(config, weights, layer).count();
            long layerFlops = 2 * layerMacs[layer] + 4L * queryHeads * config.headDim() * contextTokens;
            flops += layerFlops;
            layers.add(new LayerCost(layer, sourceLayers[layer], queryHeads, kvHeads[layer],
                    Units.mlp(config, weights, layer).count(), layerParameters[layer], layerFlops));
        }
        return new ModelCost(parameters, flops, contextTokens, layers);
    }
}
