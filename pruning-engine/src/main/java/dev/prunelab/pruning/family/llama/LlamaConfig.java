package dev.prunelab.pruning.family.llama;

import dev.prunelab.pruning.model.DecoderConfig;

/**
 * Llama family (also Mistral and Qwen2, which differ only in these fields). Hugging Face layout: rotary
 * embeddings rotate the two halves of each head ("rotate_half"); q/k of llama2.c checkpoints are permuted
 * into that layout when read.
 *
 * @param attentionBias q/k/v projections carry a bias (Qwen2, or Llama's attention_bias)
 * @param mlpBias       gate/up/down projections carry a bias (Llama's mlp_bias)
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
        boolean mlpBias) implements DecoderConfig {

    public LlamaConfig {
        DecoderConfig.requirePositive("vocab_size", vocabSize);
        DecoderConfig.requirePositive("hidden_size", hiddenSize);
        DecoderConfig.requirePositive("intermediate_size", intermediateSize);
        DecoderConfig.requirePositive("num_hidden_layers", numLayers);
        DecoderConfig.requirePositive("num_attention_heads", numHeads);
        DecoderConfig.requirePositive("num_key_value_heads", numKvHeads);
        DecoderConfig.requirePositive("head_dim", headDim);
        DecoderConfig.requirePositive("max_position_embeddings", contextLength);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numHeads
                    + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim " + headDim + " must be even for rotary embeddings");
        }
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rms_norm_eps must be positive, was " + rmsNormEps);
        }
        if (!(ropeTheta > 0)) {
            throw new IllegalArgumentException("rope_theta must be positive, was " + ropeTheta);
        }
    }

    @Override
    public LlamaConfig withLayers(int layers) {
        return new LlamaConfig(modelType, vocabSize, hiddenSize, intermediateSize, layers, numHeads, numKvHeads,
                headDim, contextLength, rmsNormEps, ropeTheta, tieWordEmbeddings, attentionBias, mlpBias);
    }
}
