package dev.prunelab.pruning.reference;

import dev.prunelab.pruning.family.gemma.GemmaConfig;
import dev.prunelab.pruning.family.gemma.GemmaNames;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.HalfFloats;
import dev.prunelab.pruning.model.TensorSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Hugging Face Gemma 2 and Gemma 3 text semantics, written from transformers' modeling_gemma2.py (Gemma2Model,
 * Gemma2DecoderLayer, Gemma2Attention, eager_attention_forward, Gemma2MLP, Gemma2RMSNorm, Gemma2ForCausalLM) and
 * modeling_gemma3.py (Gemma3TextModel with its two rotary embeddings, Gemma3Attention's q_norm/k_norm,
 * Gemma3ForCausalLM), and masking_utils' sliding_window_overlay:
 * <pre>
 * x = embed_tokens[token] * normalizer,   normalizer = sqrt(hidden_size) as a tensor of the weights' dtype
 * n(x, w) = x * rsqrt(mean(x^2) + eps) * (1 + w)                   (Gemma2RMSNorm, float32)
 * per layer:  h = n(x, input_layernorm)
 *             q, k, v = q_proj(h), k_proj(h), v_proj(h)
 *             Gemma 3: q, k = n(q_head, q_norm), n(k_head, k_norm) per head
 *             q, k = rotate_half rotary at the position: sliding layers on rope_local_base_freq (Gemma 3),
 *                    full layers on rope_theta with inv_freq / factor for linear rope_scaling
 *             score_t = q.k_t * query_pre_attn_scalar^-0.5;  Gemma 2: score = cap * tanh(score / cap)
 *             keys t visible: t <= now, and on a sliding layer t > now - sliding_window
 *             x = x + n(o_proj(softmax(score) v), post_attention_layernorm)
 *             m = n(x, pre_feedforward_layernorm)
 *             x = x + n(down_proj(gelu_tanh(gate_proj(m)) * up_proj(m)), post_feedforward_layernorm)
 * logits = lm_head(n(x, norm));  Gemma 2: logits = cap * tanh(logits / cap)   (final_logit_softcapping)
 * </pre>
 * gelu_tanh is gelu_pytorch_tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Layer types: layer_types as read
 * (transformers fills it in: Gemma 2 sliding on even layers, Gemma 3 full on every sliding_window_pattern-th).
 * Heads per layer are read off q_proj/k_proj rows, so structurally pruned models run; q_norm/k_norm are shared.
 */
final class GemmaReference implements ReferenceDecoder {

    private record Layer(float[] inputNorm, Linear q, Linear k, Linear v, Linear o, float[] qNorm, float[] kNorm,
                         float[] postAttentionNorm, float[] preFeedforwardNorm, float[] postFeedforwardNorm,
                         Linear gate, Linear up, Linear down, int heads, int kvHeads, boolean sliding,
                         double theta, double ropeFactor) {
    }

    private final GemmaConfig config;
    private final Linear embed;
    private final float normalizer;
    private final Layer[] layers;
    private final float[] finalNorm;
    private final Linear lmHead;
    private final List<List<float[]>> keys = new ArrayList<>();     // per layer, per position [kvHeads * headDim]
    private final List<List<float[]>> values = new ArrayList<>();

    GemmaReference(GemmaConfig config, TensorSource weights) {
        this.config = config;
        int hidden = config.hiddenSize();
        int headDim = config.headDim();
        embed = Linear.ofWeight(weights, GemmaNames.EMBED);
        normalizer = inDtype((float) Math.sqrt(hidden), weights.info(GemmaNames.EMBED).dtype());
        layers = new Layer[config.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            Linear q = Linear.read(weights, GemmaNames.attention(l, "q_proj"));
            Linear k = Linear.read(weights, GemmaNames.attention(l, "k_proj"));
            LlamaReference.requireMultiple("q_proj", q.out(), headDim, l);
            LlamaReference.requireMultiple("k_proj", k.out(), headDim, l);
            boolean sliding = config.attention().layerTypes().get(l) == GemmaConfig.LayerType.SLIDING;
            GemmaConfig.Rope rope = sliding ? config.attention().slidingRope() : config.attention().fullRope();
            layers[l] = new Layer(
                    weights.readFloats(GemmaNames.norm(l, GemmaNames.INPUT_NORM), hidden), q, k,
                    Linear.read(weights, GemmaNames.attention(l, "v_proj")),
                    Linear.read(weights, GemmaNames.attention(l, "o_proj")),
                    config.qkNorm() ? weights.readFloats(GemmaNames.attention(l, "q_norm.weight"), headDim) : null,
                    config.qkNorm() ? weights.readFloats(GemmaNames.attention(l, "k_norm.weight"), headDim) : null,
                    weights.readFloats(GemmaNames.norm(l, GemmaNames.POST_ATTENTION_NORM), hidden),
                    weights.readFloats(GemmaNames.norm(l, GemmaNames.PRE_FEEDFORWARD_NORM), hidden),
                    weights.readFloats(GemmaNames.norm(l, GemmaNames.POST_FEEDFORWARD_NORM), hidden),
                    Linear.read(weights, GemmaNames.mlp(l, "gate_proj")),
                    Linear.read(weights, GemmaNames.mlp(l, "up_proj")),
                    Linear.read(weights, GemmaNames.mlp(l, "down_proj")),
                    q.out() / headDim, k.out() / headDim, sliding, rope.theta(), rope.linearFactor());
        }
        finalNorm = weights.readFloats(GemmaNames.FINAL_NORM, hidden);
        lmHead = weights.contains(GemmaNames.LM_HEAD) ? Linear.ofWeight(weights, GemmaNames.LM_HEAD) : embed;
        reset();
    }

    /** torch.tensor(value, dtype=the weights' dtype): round to nearest even in bfloat16 or float16. */
    private static float inDtype(float value, DType dtype) {
        return switch (dtype) {
            case F32 -> value;
            case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(value));
            case BF16 -> {
                int bits = Float.floatToRawIntBits(value);
                bits += 0x7fff + ((bits >>> 16) & 1);
                yield Float.intBitsToFloat(bits & 0xffff0000);
            }
        };
    }

    @Override
    public float[] step(int tokenId, int position) {
        if (position != length()) {
            throw new IllegalArgumentException("position " + position + " but " + length() + " tokens are cached");
        }
        float[] row = embed.row(tokenId);
        float[] x = new float[row.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = row[i] * normalizer;
        }
        for (int l = 0; l < layers.length; l++) {
            x = layer(l, x, position);
        }
        float[] logits = lmHead.apply(norm(x, finalNorm));
        double cap = config.finalLogitSoftcap();
        if (cap > 0) {
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (cap * Math.tanh(logits[i] / cap));
            }
        }
        return logits;
    }

    private float[] layer(int l, float[] x, int position) {
        Layer w = layers[l];
        int d = config.headDim();
        float[] h = norm(x, w.inputNorm());
        float[] q = w.q().apply(h);
        float[] k = w.k().apply(h);
        float[] v = w.v().apply(h);
        if (config.qkNorm()) {
            headNorms(q, w.heads(), w.qNorm());
            headNorms(k, w.kvHeads(), w.kNorm());
        }
        for (int head = 0; head < w.heads(); head++) {
            rotate(q, head * d, position, w.theta(), w.ropeFactor());
        }
        for (int head = 0; head < w.kvHeads(); head++) {
            rotate(k, head * d, position, w.theta(), w.ropeFactor());
        }
        keys.get(l).add(k);
        values.get(l).add(v);
        float[] attention = attend(l, q, position);
        float[] attended = norm(w.o().apply(attention), w.postAttentionNorm());
        float[] residual = Ops.add(x, attended);
        float[] m = norm(residual, w.preFeedforwardNorm());
        float[] gate = w.gate().apply(m);
        float[] up = w.up().apply(m);
        float[] product = new float[gate.length];
        for (int i = 0; i < product.length; i++) {
            product[i] = (float) (Ops.geluNew(gate[i]) * up[i]);
        }
        return Ops.add(residual, norm(w.down().apply(product), w.postFeedforwardNorm()));
    }

    /** eager_attention_forward over the cached positions the layer's mask leaves visible. */
    private float[] attend(int l, float[] q, int position) {
        Layer w = layers[l];
        int d = config.headDim();
        int group = w.heads() / w.kvHeads();
        int window = w.sliding() ? config.attention().slidingWindow() : 0;
        int first = window > 0 ? Math.max(0, position - window + 1) : 0;
        int count = position + 1 - first;
        double scale = Math.pow(config.attention().queryPreAttnScalar(), -0.5);
        double cap = config.attention().logitSoftcap();
        float[] out = new float[w.heads() * d];
        double[] scores = new double[count];
        for (int head = 0; head < w.heads(); head++) {
            int kvOffset = (head / group) * d;
            for (int t = 0; t < count; t++) {
                double score = Ops.dot(q, head * d, keys.get(l).get(first + t), kvOffset, d) * scale;
                scores[t] = cap > 0 ? cap * Math.tanh(score / cap) : score;
            }
            Ops.softmax(scores, count);
            for (int i = 0; i < d; i++) {
                double sum = 0;
                for (int t = 0; t < count; t++) {
                    sum += scores[t] * values.get(l).get(first + t)[kvOffset + i];
                }
                out[head * d + i] = (float) sum;
            }
        }
        return out;
    }

    /** Gemma2RMSNorm: x * rsqrt(mean(x^2) + eps) * (1 + w). */
    private float[] norm(float[] x, float[] weight) {
        return norm(x, 0, x.length, weight);
    }

    private float[] norm(float[] x, int offset, int n, float[] weight) {
        double sumSquares = 0;
        for (int i = 0; i < n; i++) {
            sumSquares += (double) x[offset + i] * x[offset + i];
        }
        double inverseRms = 1.0 / Math.sqrt(sumSquares / n + config.rmsNormEps());
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) ((float) (x[offset + i] * inverseRms) * (1.0 + weight[i]));
        }
        return out;
    }

    /** Gemma 3's q_norm/k_norm: each head_dim-wide head normalised with the one shared weight, in place. */
    private void headNorms(float[] x, int heads, float[] weight) {
        int d = config.headDim();
        for (int head = 0; head < heads; head++) {
            System.arraycopy(norm(x, head * d, d, weight), 0, x, head * d, d);
        }
    }

    /**
     * rotate_half of one head at {@code position}: for i &lt; d/2, angle = position * theta^(-2i/d) / factor,
     * v'[i] = v[i] cos - v[i+d/2] sin, v'[i+d/2] = v[i+d/2] cos + v[i] sin.
     */
    private void rotate(float[] v, int offset, int position, double theta, double factor) {
        int d = config.headDim();
        Ops.rotateHalf(v, offset, d / 2, i -> position * (Math.pow(theta, -2.0 * i / d) / factor));
    }

    @Override
    public int length() {
        return keys.isEmpty() ? 0 : keys.get(0).size();
    }

    @Override
    public void reset() {
        keys.clear();
        values.clear();
        for (int l = 0; l < layers.length; l++) {
            keys.add(new ArrayList<>());
            values.add(new ArrayList<>());
        }
    }
}
