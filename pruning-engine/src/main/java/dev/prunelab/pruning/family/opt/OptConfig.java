package dev.prunelab.pruning.family.opt;

import dev.prunelab.pruning.model.DecoderConfig;
import java.util.List;

/**
 * OPT family. Learned positions are looked up at position + 2 (the first two rows are a fairseq legacy).
 * OPT-350m is post-LN ({@code layerNormBefore == false}) and projects embeddings of width
 * {@code wordEmbedProjDim} in and out of the hidden width; the LM head is always tied to the embeddings.
 */
public record OptConfig(
        int vocabSize,
        int hiddenSize,
        int ffnDim,
        int numLayers,
        int numHeads,
        int contextLength,
        int wordEmbedProjDim,
        boolean layerNormBefore,
        boolean removeFinalLayerNorm,
        boolean enableBias,
        String activation,
        double layerNormEps) implements DecoderConfig {

    /** OPT's learned position table has this many leading rows before position 0. */
    public static final int POSITION_OFFSET = 2;

    public OptConfig {
        DecoderConfig.requirePositive(List.of("vocab_size", "hidden_size", "ffn_dim", "num_hidden_layers",
                "num_attention_heads", "max_position_embeddings", "word_embed_proj_dim"),
                vocabSize, hiddenSize, ffnDim, numLayers, numHeads, contextLength, wordEmbedProjDim);
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize
                    + " is not a multiple of num_attention_heads " + numHeads);
        }
        if (!"relu".equals(activation)) {
            throw new IllegalArgumentException("OPT activation_function '" + activation + "' is not supported (relu)");
        }
    }


    @Override
    public OptConfig withLayers(int layers) {
        return new OptConfig(vocabSize, hiddenSize, ffnDim, layers, numHeads, contextLength, wordEmbedProjDim,
                layerNormBefore, removeFinalLayerNorm, enableBias, activation, layerNormEps);
    }

    @Override
    public String modelType() {
        return "opt";
    }

    @Override
    public int intermediateSize() {
        return ffnDim;
    }

    /** True for OPT-350m-like models whose embeddings are narrower than the hidden width. */
    public boolean projectsEmbeddings() {
        return wordEmbedProjDim != hiddenSize;
    }

    /** OPT keeps a final LayerNorm only in pre-LN models that did not remove it. */
    public boolean hasFinalLayerNorm() {
        return layerNormBefore && !removeFinalLayerNorm;
    }
}
