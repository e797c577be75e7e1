package dev.prunelab.pruning.family.llama;

import dev.prunelab.pruning.family.RotaryScaling;
import dev.prunelab.pruning.model.DecoderConfig;

/**
 * Llama family (also Mistral, Qwen2, Qwen3 and Phi-3, which differ only in these fields). Hugging Face layout:
 * rotary embeddings rotate the two halves of each head ("rotate_half"); q/k of llama2.c checkpoints are permuted
 * into that layout when read.
 *
 * @param attentionBias q/k/v projections carry a bias (Qwen2, or Llama's and Qwen3's attention_bias)
 * @param mlpBias       gate/up/down projections carry a bias (Llama's mlp_bias)
 * @param ropeScaling   rope_scaling: how the rotary inverse frequencies are scaled (Llama 3.1/3.2: llama3)
 * @param rotaryDim     the leading dimensions of each head that rotate (Phi-3's partial_rotary_factor x head_dim);
 *                      the rest pass through unrotated
 * @param slidingWindow a query sees the keys at most this many positions back, itself included (Mistral's and
 *                      Phi-3's sliding_window, every layer); 0 for every earlier position
 */
public record LlamaConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int contextLength,
        double rmsNormEps,
        double ropeTheta,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean mlpBias,
        RotaryScaling ropeScaling,
        int rotaryDim,
        int slidingWindow) implements DecoderConfig {

    public LlamaConfig {
        DecoderConfig.requireRotaryShape(vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
                headDim, contextLength);
        if (rotaryDim <= 0 || rotaryDim > headDim || rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("partial_rotary_factor gives " + rotaryDim
                    + " rotary dimensions of head_dim " + headDim + "; they must be even and at most head_dim");
        }
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rms_norm_eps must be positive, was " + rmsNormEps);
        }
        if (!(ropeTheta > 0)) {
            throw new IllegalArgumentException("rope_theta must be positive, was " + ropeTheta);
        }
        if (ropeScaling == null) {
            throw new IllegalArgumentException("rope_scaling must be given (RotaryScaling.NONE for none)");
        }
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("sliding_window must be positive, was " + slidingWindow);
        }
    }

    /** Unscaled rotary embeddings over the whole head, no sliding window (Llama 2, Mistral v0.2+, Qwen2). */
    public LlamaConfig(String modelType, int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
            int numHeads, int numKvHeads, int headDim, int contextLength, double rmsNormEps, double ropeTheta,
            boolean tieWordEmbeddings, boolean attentionBias, boolean mlpBias) {
        this(modelType, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim,
                contextLength, rmsNormEps, ropeTheta, tieWordEmbeddings, attentionBias, mlpBias, RotaryScaling.NONE,
                headDim, 0);
    }

    /** The same model with another rope_scaling, partial rotary and sliding window. */
    public LlamaConfig withRotary(RotaryScaling scaling, int rotaryDimensions, int window) {
        return new LlamaConfig(modelType, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
                headDim, contextLength, rmsNormEps, ropeTheta, tieWordEmbeddings, attentionBias, mlpBias, scaling,
                rotaryDimensions, window);
    }

    /** Qwen3 normalises each query and key head (q_norm, k_norm: one [head_dim] weight shared by every head). */
    public boolean qkNorm() {
        return "qwen3".equals(modelType);
    }

    /** The rotary inverse frequency of each rotated pair, [rotaryDim / 2]. */
    public double[] inverseFrequencies() {
        return ropeScaling.inverseFrequencies(ropeTheta, rotaryDim);
    }

    /** The window where it is shorter than the context, else 0: a window the context never exceeds masks nothing. */
    public int effectiveSlidingWindow() {
        return slidingWindow > 0 && slidingWindow < contextLength ? slidingWindow : 0;
    }

    @Override
    public LlamaConfig withLayers(int layers) {
        return new LlamaConfig(modelType, vocabSize, hiddenSize, intermediateSize, layers, numHeads, numKvHeads,
                headDim, contextLength, rmsNormEps, ropeTheta, tieWordEmbeddings, attentionBias, mlpBias, ropeScaling,
                rotaryDim, slidingWindow);
    }
}
