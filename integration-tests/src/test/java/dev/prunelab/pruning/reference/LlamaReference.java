package dev.prunelab.pruning.reference;

import dev.prunelab.pruning.family.RotaryScaling;
import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.llama.LlamaNames;
import dev.prunelab.pruning.model.TensorSource;
import java.util.Arrays;

/**
 * Hugging Face Llama (and Mistral, Qwen2, Qwen3, Phi-3) semantics, after transformers' modeling_llama.py
 * (LlamaModel / LlamaDecoderLayer / LlamaAttention / LlamaMLP / LlamaRMSNorm / LlamaRotaryEmbedding),
 * modeling_rope_utils.py (the default, linear and llama3 inverse frequencies), modeling_qwen3.py (Qwen3Attention's
 * q_norm/k_norm) and modeling_phi3.py (Phi3Attention's qkv_proj, Phi3MLP's gate_up_proj, the partial
 * apply_rotary_pos_emb), with masking_utils' sliding window:
 * <pre>
 * x = embed_tokens[token]
 * per layer:  h = rmsnorm(x) * input_layernorm
 *             q, k, v = q_proj(h), k_proj(h), v_proj(h)          (+ bias where present: Qwen2)
 *                Phi-3: qkv = qkv_proj(h); q = qkv[:H*D], k = qkv[H*D : H*D + KV*D], v = the rest
 *             Qwen3: q, k = rmsnorm(q_head) * q_norm, rmsnorm(k_head) * k_norm, each head on its own
 *             q, k = rotate_half of each head's first R dims at position p: angle_i = p * inv_freq_i, i &lt; R/2
 *                    (R = head_dim, or int(head_dim * partial_rotary_factor) for Phi-3; the rest pass through)
 *             inv_freq_i = theta^(-2i/R); linear: / factor; llama3: by wavelength 2π/inv_freq (kept, blended, / factor)
 *             a = softmax(q.k / sqrt(headDim)) v over positions 0..now (sliding window W: now-W &lt; t), query head h on
 *                 kv head h / group
 *             x = x + o_proj(a)
 *             x = x + down_proj(silu(gate_proj(m)) * up_proj(m)),   m = rmsnorm(x) * post_attention_layernorm
 *                Phi-3: gate, up = gate_up_proj(m).chunk(2)
 * logits = lm_head(rmsnorm(x) * norm)                           (lm_head = embed_tokens when tied/absent)
 * </pre>
 * Heads per layer = q rows / headDim, kv heads = k rows / headDim, MLP width = up rows, so structurally pruned
 * models (whose weights, read back from an export, name q/k/v and gate/up apart) run too.
 */
final class LlamaReference extends LayeredDecoder<LlamaReference.Layer> {

    /**
     * One layer's weights; {@code qkv} (Phi-3) replaces q, k and v, {@code gateUp} replaces gate and up;
     * {@code qNorm}/{@code kNorm} are Qwen3's.
     */
    record Layer(float[] inputNorm, Linear q, Linear k, Linear v, Linear qkv, float[] qNorm, float[] kNorm,
                 Linear o, float[] postNorm, Linear gate, Linear up, Linear gateUp, Linear down,
                 AttentionShape shape) implements ShapedLayer {
    }

    private final LlamaConfig config;
    private final Linear embed;
    private final float[] finalNorm;
    private final Linear lmHead;
    private final double[] inverseFrequencies;

    LlamaReference(LlamaConfig config, TensorSource weights) {
        super(new Layer[config.numLayers()]);
        this.config = config;
        int hidden = config.hiddenSize();
        int headDim = config.headDim();
        embed = Linear.ofWeight(weights, LlamaNames.EMBED);
        for (int l = 0; l < layers.length; l++) {
            boolean fused = weights.contains(LlamaNames.attention(l, "qkv_proj.weight"));
            Linear qkv = fused ? Linear.read(weights, LlamaNames.attention(l, "qkv_proj")) : null;
            Linear q = fused ? null : Linear.read(weights, LlamaNames.attention(l, "q_proj"));
            Linear k = fused ? null : Linear.read(weights, LlamaNames.attention(l, "k_proj"));
            Linear v = fused ? null : Linear.read(weights, LlamaNames.attention(l, "v_proj"));
            Linear o = Linear.read(weights, LlamaNames.attention(l, "o_proj"));
            boolean fusedMlp = weights.contains(LlamaNames.mlp(l, "gate_up_proj.weight"));
            Linear gateUp = fusedMlp ? Linear.read(weights, LlamaNames.mlp(l, "gate_up_proj")) : null;
            Linear gate = fusedMlp ? null : Linear.read(weights, LlamaNames.mlp(l, "gate_proj"));
            Linear up = fusedMlp ? null : Linear.read(weights, LlamaNames.mlp(l, "up_proj"));
            Linear down = Linear.read(weights, LlamaNames.mlp(l, "down_proj"));
            // a fused checkpoint is as published: Phi3Attention splits qkv at the config's head counts
            int heads = fused ? config.numHeads() : q.out() / headDim;
            int kvHeads = fused ? config.numKvHeads() : k.out() / headDim;
            if (!fused) {
                requireMultiple("q_proj", q.out(), headDim, l);
                requireMultiple("k_proj", k.out(), headDim, l);
            }
            boolean qkNorm = weights.contains(LlamaNames.attention(l, "q_norm.weight"));
            AttentionShape shape = new AttentionShape(heads, kvHeads, headDim, 1.0 / Math.sqrt(headDim),
                    config.slidingWindow());
            layers[l] = new Layer(weights.readFloats(LlamaNames.inputNorm(l), hidden), q, k, v, qkv,
                    qkNorm ? weights.readFloats(LlamaNames.attention(l, "q_norm.weight"), headDim) : null,
                    qkNorm ? weights.readFloats(LlamaNames.attention(l, "k_norm.weight"), headDim) : null,
                    o, weights.readFloats(LlamaNames.postAttentionNorm(l), hidden), gate, up, gateUp, down, shape);
        }
        finalNorm = weights.readFloats(LlamaNames.FINAL_NORM, hidden);
        lmHead = weights.contains(LlamaNames.LM_HEAD) ? Linear.ofWeight(weights, LlamaNames.LM_HEAD) : embed;
        inverseFrequencies = inverseFrequencies(config);
    }

    static void requireMultiple(String what, int rows, int headDim, int layer) {
        if (rows % headDim != 0) {
            throw new IllegalArgumentException("layer " + layer + " " + what + " has " + rows
                    + " rows, not a multiple of head_dim " + headDim);
        }
    }

    /**
     * modeling_rope_utils: {@code _compute_default_rope_parameters} over dim = the rotated dimensions, then
     * {@code _compute_linear_scaling_rope_parameters} (inv_freq / factor) or {@code _compute_llama3_parameters}
     * (low_freq_wavelen = old_context_len / low_freq_factor, high_freq_wavelen = old_context_len / high_freq_factor;
     * wavelen &gt; low_freq_wavelen: inv_freq / factor; otherwise, unless wavelen &lt; high_freq_wavelen, smoothed).
     */
    static double[] inverseFrequencies(LlamaConfig config) {
        int dim = config.rotaryDim();
        RotaryScaling scaling = config.ropeScaling();
        double[] inv = new double[dim / 2];
        for (int j = 0; j < inv.length; j++) {
            inv[j] = 1.0 / Math.pow(config.ropeTheta(), (double) (2 * j) / dim);
        }
        if (scaling.type() == RotaryScaling.Type.LINEAR) {
            for (int j = 0; j < inv.length; j++) {
                inv[j] /= scaling.factor();
            }
        } else if (scaling.type() == RotaryScaling.Type.LLAMA3) {
            double factor = scaling.factor();
            double low = scaling.lowFreqFactor();
            double high = scaling.highFreqFactor();
            double oldContextLen = scaling.originalMaxPositions();
            double lowFreqWavelen = oldContextLen / low;
            double highFreqWavelen = oldContextLen / high;
            for (int j = 0; j < inv.length; j++) {
                double wavelen = 2 * Math.PI / inv[j];
                double llama = wavelen > lowFreqWavelen ? inv[j] / factor : inv[j];
                double smooth = (oldContextLen / wavelen - low) / (high - low);
                double smoothed = (1 - smooth) * llama / factor + smooth * llama;
                boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
                inv[j] = medium ? smoothed : llama;
            }
        }
        return inv;
    }

    @Override
    float[] embed(int token, int position) {
        return embed.row(token);
    }

    @Override
    Projected project(int layer, float[] x, int position) {
        Layer w = layers[layer];
        float[] h = Ops.rmsNorm(x, w.inputNorm(), config.rmsNormEps());
        int d = w.shape().headDim();
        float[] q;
        float[] k;
        float[] v;
        if (w.qkv() != null) {
            float[] qkv = w.qkv().apply(h);
            int queryPos = w.shape().heads() * d;
            int kvWidth = w.shape().kvHeads() * d;
            q = Arrays.copyOfRange(qkv, 0, queryPos);
            k = Arrays.copyOfRange(qkv, queryPos, queryPos + kvWidth);
            v = Arrays.copyOfRange(qkv, queryPos + kvWidth, qkv.length);
        } else {
            q = w.q().apply(h);
            k = w.k().apply(h);
            v = w.v().apply(h);
        }
        for (int head = 0; head < w.shape().heads(); head++) {
            if (w.qNorm() != null) {
                normHead(q, head * d, d, w.qNorm());
            }
            rotate(q, head * d, position);
        }
        for (int head = 0; head < w.shape().kvHeads(); head++) {
            if (w.kNorm() != null) {
                normHead(k, head * d, d, w.kNorm());
            }
            rotate(k, head * d, position);
        }
        return new Projected(q, k, v);
    }

    /** Qwen3RMSNorm over one head_dim-wide head, in place. */
    private void normHead(float[] x, int offset, int d, float[] weight) {
        float[] normed = Ops.rmsNorm(Arrays.copyOfRange(x, offset, offset + d), weight, config.rmsNormEps());
        System.arraycopy(normed, 0, x, offset, d);
    }

    /**
     * apply_rotary_pos_emb on one head: the first R = 2 * inverseFrequencies.length dims are q_rot (rotate_half
     * within them, cos/sin = cat(freqs, freqs)), the rest q_pass, unchanged.
     */
    private void rotate(float[] v, int offset, int position) {
        Ops.rotateHalf(v, offset, inverseFrequencies.length, i -> position * inverseFrequencies[i]);
    }

    @Override
    float[] finishLayer(int layer, float[] x, float[] attention) {
        Layer w = layers[layer];
        float[] h = Ops.add(x, w.o().apply(attention));
        float[] m = Ops.rmsNorm(h, w.postNorm(), config.rmsNormEps());
        float[] gate;
        float[] up;
        if (w.gateUp() != null) {
            float[] upStates = w.gateUp().apply(m);
            gate = Arrays.copyOfRange(upStates, 0, upStates.length / 2);
            up = Arrays.copyOfRange(upStates, upStates.length / 2, upStates.length);
        } else {
            gate = w.gate().apply(m);
            up = w.up().apply(m);
        }
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
