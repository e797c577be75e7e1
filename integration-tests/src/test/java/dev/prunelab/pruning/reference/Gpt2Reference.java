package dev.prunelab.pruning.reference;

import dev.prunelab.pruning.family.gpt2.Gpt2Config;
import dev.prunelab.pruning.family.gpt2.Gpt2Names;
import dev.prunelab.pruning.model.TensorSource;

/**
 * Hugging Face GPT-2 semantics, after transformers' modeling_gpt2.py (GPT2Model / GPT2Block /
 * GPT2Attention / GPT2MLP; Conv1D computes {@code x W + b} with W stored [in, out]):
 * <pre>
 * x = wte[token] + wpe[position]
 * per layer:  q | k | v = c_attn(ln_1(x))                 (c_attn [hidden, 3*attnWidth], split in thirds)
 *             x = x + attn.c_proj(softmax(q.k / sqrt(headDim)) v)
 *             x = x + mlp.c_proj(act(c_fc(ln_2(x))))      (act: gelu_new (tanh) or exact erf gelu)
 * logits = wte . ln_f(x)                                   (LM head tied to wte)
 * </pre>
 * Heads per layer = (c_attn columns / 3) / headDim; MLP width = c_fc columns.
 */
final class Gpt2Reference extends LayeredDecoder<Gpt2Reference.Layer> {

    record Layer(float[] ln1Weight, float[] ln1Bias, Linear qkv, Linear attnProj,
                 float[] ln2Weight, float[] ln2Bias, Linear fc, Linear mlpProj, AttentionShape shape)
            implements ShapedLayer {
    }

    private final Gpt2Config config;
    private final Linear wte;
    private final Linear wpe;
    private final float[] lnfWeight;
    private final float[] lnfBias;

    Gpt2Reference(Gpt2Config config, TensorSource weights) {
        super(new Layer[config.numLayers()]);
        this.config = config;
        int headDim = config.headDim();
        wte = Linear.ofWeight(weights, Gpt2Names.EMBED);
        wpe = Linear.ofWeight(weights, Gpt2Names.POSITIONS);
        for (int l = 0; l < layers.length; l++) {
            Linear qkv = Linear.readConv1D(weights, Gpt2Names.attention(l, "c_attn"));
            if (qkv.out() % 3 != 0) {
                throw new IllegalArgumentException("layer " + l + " c_attn has " + qkv.out()
                        + " columns, not q|k|v thirds");
            }
            LlamaReference.requireMultiple("c_attn third", qkv.out() / 3, headDim, l);
            int heads = qkv.out() / 3 / headDim;
            layers[l] = new Layer(
                    weights.readFloats(Gpt2Names.norm(l, "ln_1.weight")), weights.readFloats(Gpt2Names.norm(l, "ln_1.bias")),
                    qkv, Linear.readConv1D(weights, Gpt2Names.attention(l, "c_proj")),
                    weights.readFloats(Gpt2Names.norm(l, "ln_2.weight")), weights.readFloats(Gpt2Names.norm(l, "ln_2.bias")),
                    Linear.readConv1D(weights, Gpt2Names.mlp(l, "c_fc")), Linear.readConv1D(weights, Gpt2Names.mlp(l, "c_proj")),
                    new AttentionShape(heads, heads, headDim, 1.0 / Math.sqrt(headDim)));
        }
        lnfWeight = weights.readFloats(Gpt2Names.FINAL_NORM + "weight");
        lnfBias = weights.readFloats(Gpt2Names.FINAL_NORM + "bias");
    }

    @Override
    float[] embed(int token, int position) {
        return Ops.add(wte.row(token), wpe.row(position));
    }

    @Override
    Projected project(int layer, float[] x, int position) {
        Layer w = layers[layer];
        float[] qkv = w.qkv().apply(Ops.layerNorm(x, w.ln1Weight(), w.ln1Bias(), config.layerNormEps()));
        int width = qkv.length / 3;
        float[] q = new float[width];
        float[] k = new float[width];
        float[] v = new float[width];
        System.arraycopy(qkv, 0, q, 0, width);
        System.arraycopy(qkv, width, k, 0, width);
        System.arraycopy(qkv, 2 * width, v, 0, width);
        return new Projected(q, k, v);
    }

    @Override
    float[] finishLayer(int layer, float[] x, float[] attention) {
        Layer w = layers[layer];
        float[] h = Ops.add(x, w.attnProj().apply(attention));
        float[] inner = w.fc().apply(Ops.layerNorm(h, w.ln2Weight(), w.ln2Bias(), config.layerNormEps()));
        boolean exact = "gelu".equals(config.activation());
        for (int i = 0; i < inner.length; i++) {
            inner[i] = (float) (exact ? Ops.geluExact(inner[i]) : Ops.geluNew(inner[i]));
        }
        return Ops.add(h, w.mlpProj().apply(inner));
    }

    @Override
    float[] logits(float[] x) {
        return wte.apply(Ops.layerNorm(x, lnfWeight, lnfBias, config.layerNormEps()));
    }
}
