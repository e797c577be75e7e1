package dev.prunelab.pruning.reference;

import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.llama.LlamaNames;
import dev.prunelab.pruning.model.TensorSource;

/**
 * Hugging Face Llama (and Mistral, Qwen2) semantics, after transformers' modeling_llama.py
 * (LlamaModel / LlamaDecoderLayer / LlamaAttention / LlamaMLP / LlamaRMSNorm):
 * <pre>
 * x = embed_tokens[token]
 * per layer:  h = rmsnorm(x) * input_layernorm
 *             q, k, v = q_proj(h), k_proj(h), v_proj(h)          (+ bias where present: Qwen2)
 *             q, k = rotate_half rotary at position, theta = rope_theta (apply_rotary_pos_emb)
 *             a = softmax(q.k / sqrt(headDim)) v over positions 0..now, query head h on kv head h / group
 *             x = x + o_proj(a)
 *             x = x + down_proj(silu(gate_proj(m)) * up_proj(m)),   m = rmsnorm(x) * post_attention_layernorm
 * logits = lm_head(rmsnorm(x) * norm)                           (lm_head = embed_tokens when tied/absent)
 * </pre>
 * Heads per layer = q_proj rows / headDim, kv heads = k_proj rows / headDim, MLP width = up_proj rows.
 */
final class LlamaReference extends LayeredDecoder {

    private record Layer(float[] inputNorm, Linear q, Linear k, Linear v, Linear o, float[] postNorm,
                         Linear gate, Linear up, Linear down, AttentionShape shape) {
    }

    private final LlamaConfig config;
    private final Linear embed;
    private final Layer[] layers;
    private final float[] finalNorm;
    private final Linear lmHead;

    LlamaReference(LlamaConfig config, TensorSource weights) {
        super(config.numLayers());
        this.config = config;
        int hidden = config.hiddenSize();
        int headDim = config.headDim();
        embed = Linear.ofWeight(weights, LlamaNames.EMBED);
        layers = new Layer[config.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            Linear q = Linear.read(weights, LlamaNames.attention(l, "q_proj"));
            Linear k = Linear.read(weights, LlamaNames.attention(l, "k_proj"));
            Linear v = Linear.read(weights, LlamaNames.attention(l, "v_proj"));
            Linear o = Linear.read(weights, LlamaNames.attention(l, "o_proj"));
            Linear gate = Linear.read(weights, LlamaNames.mlp(l, "gate_proj"));
            Linear up = Linear.read(weights, LlamaNames.mlp(l, "up_proj"));
            Linear down = Linear.read(weights, LlamaNames.mlp(l, "down_proj"));
            requireMultiple("q_proj", q.out(), headDim, l);
            requireMultiple("k_proj", k.out(), headDim, l);
            AttentionShape shape = new AttentionShape(q.out() / headDim, k.out() / headDim, headDim,
                    1.0 / Math.sqrt(headDim));
            layers[l] = new Layer(weights.readFloats(LlamaNames.inputNorm(l), hidden), q, k, v, o,
                    weights.readFloats(LlamaNames.postAttentionNorm(l), hidden), gate, up, down, shape);
        }
        finalNorm = weights.readFloats(LlamaNames.FINAL_NORM, hidden);
        lmHead = weights.contains(LlamaNames.LM_HEAD) ? Linear.ofWeight(weights, LlamaNames.LM_HEAD) : embed;
    }

    static void requireMultiple(String what, int rows, int headDim, int layer) {
        if (rows % headDim != 0) {
            throw new IllegalArgumentException("layer " + layer + " " + what + " has " + rows
                    + " rows, not a multiple of head_dim " + headDim);
        }
    }

    @Override
    float[] embed(int token, int position) {
        return embed.row(token);
    }

    @Override
    AttentionShape attentionShape(int layer) {
        return layers[layer].shape();
    }

    @Override
    Projected project(int layer, float[] x, int position) {
        Layer w = layers[layer];
        float[] h = Ops.rmsNorm(x, w.inputNorm(), config.rmsNormEps());
        float[] q = w.q().apply(h);
        float[] k = w.k().apply(h);
        float[] v = w.v().apply(h);
        int d = w.shape().headDim();
        for (int head = 0; head < w.shape().heads(); head++) {
            Ops.rotateHalf(q, head * d, d, position, config.ropeTheta());
        }
        for (int head = 0; head < w.shape().kvHeads(); head++) {
            Ops.rotateHalf(k, head * d, d, position, config.ropeTheta());
        }
        return new Projected(q, k, v);
    }

    @Override
    float[] finishLayer(int layer, float[] x, float[] attention) {
        Layer w = layers[layer];
        float[] h = Ops.add(x, w.o().apply(attention));
        float[] m = Ops.rmsNorm(h, w.postNorm(), config.rmsNormEps());
        float[] gate = w.gate().apply(m);
        float[] up = w.up().apply(m);
        float[] act = new float[gate.length];
        for (int i = 0; i < act.length; i++) {
            act[i] = (float) (Ops.silu(gate[i]) * up[i]);
        }
        return Ops.add(h, w.down().apply(act));
    }

    @Override
    float[] logits(float[] x) {
        return lmHead.apply(Ops.rmsNorm(x, finalNorm, config.rmsNormEps()));
    }
}
