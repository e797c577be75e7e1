package dev.prunelab.pruning.family.gpt2;

import dev.prunelab.pruning.model.DecoderConfig;
import java.util.List;

/**
 * GPT-2 family. Its Conv1D weights are stored as [in, out] (the transpose of a Linear's [out, in]);
 * the LM head is tied to the token embeddings.
 *
 * @param activation activation_function ("gelu_new": the tanh approximation, or "gelu": exact erf)
 */
public record Gpt2Config(
        int vocabSize,
        int hiddenSize,
        int innerSize,
        int numLayers,
        int numHeads,
        int contextLength,
        double layerNormEps,
        String activation) implements DecoderConfig {

    public Gpt2Config {
        DecoderConfig.requirePositive(List.of("vocab_size", "n_embd", "n_inner", "n_layer", "n_head", "n_positions"),
                vocabSize, hiddenSize, innerSize, numLayers, numHeads, contextLength);
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("n_embd " + hiddenSize + " is not a multiple of n_head " + numHeads);
        }
        if (!"gelu_new".equals(activation) && !"gelu".equals(activation)) {
            throw new IllegalArgumentException("GPT-2 activation_function '" + activation
                    + "' is not supported (gelu_new, gelu)");
        }
    }


    @Override
    public Gpt2Config withLayers(int layers) {
        return new Gpt2Config(vocabSize, hiddenSize, innerSize, layers, numHeads, contextLength, layerNormEps,
                activation);
    }

    @Override
    public String modelType() {
        return "gpt2";
    }

    @Override
    public int intermediateSize() {
        return innerSize;
    }
}
