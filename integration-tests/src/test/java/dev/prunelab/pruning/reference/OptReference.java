package dev.prunelab.pruning.reference;

import dev.prunelab.pruning.family.opt.OptConfig;
import dev.prunelab.pruning.family.opt.OptNames;
import dev.prunelab.pruning.model.TensorSource;

/**
 * Hugging Face OPT semantics, after transformers' modeling_opt.py (OPTDecoder / OPTDecoderLayer /
 * OPTAttention / OPTLearnedPositionalEmbedding):
 * <pre>
 * x = project_in(embed_tokens[token]) + embed_positions[position + 2]     (project_in only if present)
 * pre-LN layer  (do_layer_norm_before):  h = x + out_proj(attn(self_attn_layer_norm(x)))
 *                                        y = h + fc2(relu(fc1(final_layer_norm(h))))
 * post-LN layer (OPT-350m):              h = self_attn_layer_norm(x + out_proj(attn(x)))
 *                                        y = final_layer_norm(h + fc2(relu(fc1(h))))
 * attn: q = q_proj(x) * headDim^-0.5, k = k_proj(x), v = v_proj(x) (all with bias); softmax(q.k) v
 * logits = embed_tokens . project_out(final_layer_norm(x))      (final norm only if hasFinalLayerNorm,
 *                                                                project_out only if present, lm_head tied)
 * </pre>
 * Heads per layer = q_proj rows / headDim; MLP width = fc1 rows. LayerNorms have weight and bias.
 */
final class OptReference extends LayeredDecoder<OptReference.Layer> {

    private record Norm(float[] weight, float[] bias) {
    }

    record Layer(Norm attnNorm, Linear q, Linear k, Linear v, Linear out, Norm mlpNorm,
                 Linear fc1, Linear fc2, AttentionShape shape) implements ShapedLayer {
    }

    private final OptConfig config;
    private final Linear embed;
    private final Linear positions;
    private final Linear projectIn;
    private final Linear projectOut;
    private final Norm finalNorm;
    private final Linear lmHead;

    OptReference(OptConfig config, TensorSource weights) {
        super(new Layer[config.numLayers()]);
        this.config = config;
        int headDim = config.headDim();
        embed = Linear.ofWeight(weights, OptNames.EMBED);
        positions = Linear.ofWeight(weights, OptNames.POSITIONS);
        projectIn = weights.contains(OptNames.PROJECT_IN) ? Linear.ofWeight(weights, OptNames.PROJECT_IN) : null;
        projectOut = weights.contains(OptNames.PROJECT_OUT) ? Linear.ofWeight(weights, OptNames.PROJECT_OUT) : null;
        for (int l = 0; l < layers.length; l++) {
            Linear q = Linear.read(weights, OptNames.attention(l, "q_proj"));
            LlamaReference.requireMultiple("q_proj", q.out(), headDim, l);
            int heads = q.out() / headDim;
            layers[l] = new Layer(
                    norm(weights, OptNames.norm(l, "self_attn_layer_norm.")),
                    q,
                    Linear.read(weights, OptNames.attention(l, "k_proj")),
                    Linear.read(weights, OptNames.attention(l, "v_proj")),
                    Linear.read(weights, OptNames.attention(l, "out_proj")),
                    norm(weights, OptNames.norm(l, "final_layer_norm.")),
                    Linear.read(weights, OptNames.mlp(l, "fc1")),
                    Linear.read(weights, OptNames.mlp(l, "fc2")),
                    // HF scales q by headDim^-0.5 inside the projection; the scores need no further scale.
                    new AttentionShape(heads, heads, headDim, 1.0));
        }
        finalNorm = config.hasFinalLayerNorm() ? norm(weights, OptNames.FINAL_NORM) : null;
        lmHead = weights.contains(OptNames.LM_HEAD) ? Linear.ofWeight(weights, OptNames.LM_HEAD) : embed;
    }

    private static Norm norm(TensorSource weights, String prefix) {
        String weight = prefix + "weight";
        String bias = prefix + "bias";
        return new Norm(weights.contains(weight) ? weights.readFloats(weight) : null,
                weights.contains(bias) ? weights.readFloats(bias) : null);
    }

    private float[] layerNorm(float[] x, Norm norm) {
        return Ops.layerNorm(x, norm.weight(), norm.bias(), config.layerNormEps());
    }

    @Override
    float[] embed(int token, int position) {
        float[] x = embed.row(token);
        if (projectIn != null) {
            x = projectIn.apply(x);
        }
        return Ops.add(x, positions.row(position + OptConfig.POSITION_OFFSET));
    }

    @Override
    Projected project(int layer, float[] x, int position) {
        Layer w = layers[layer];
        float[] h = config.layerNormBefore() ? layerNorm(x, w.attnNorm()) : x;
        float[] q = w.q().apply(h);
        double scaling = 1.0 / Math.sqrt(w.shape().headDim());
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) (q[i] * scaling);
        }
        return new Projected(q, w.k().apply(h), w.v().apply(h));
    }

    @Override
    float[] finishLayer(int layer, float[] x, float[] attention) {
        Layer w = layers[layer];
        float[] h = Ops.add(x, w.out().apply(attention));
        if (!config.layerNormBefore()) {
            h = layerNorm(h, w.attnNorm());
        }
        float[] m = config.layerNormBefore() ? layerNorm(h, w.mlpNorm()) : h;
        float[] inner = w.fc1().apply(m);
        for (int i = 0; i < inner.length; i++) {
            inner[i] = Math.max(inner[i], 0f);
        }
        float[] y = Ops.add(h, w.fc2().apply(inner));
        return config.layerNormBefore() ? y : layerNorm(y, w.mlpNorm());
    }

    @Override
    float[] logits(float[] x) {
        if (finalNorm != null) {
            x = layerNorm(x, finalNorm);
        }
        if (projectOut != null) {
            x = projectOut.apply(x);
        }
        return lmHead.apply(x);
    }
}
