package dev.prunelab.pruning.model;

import java.util.List;

/**
 * The shape of a decoder-only transformer, one record per family (in the family's package). Hugging Face field
 * names are mapped to these Java names once, when config.json is read; everything downstream uses these records.
 * Per-layer widths of a structurally pruned model come from the tensor shapes, not from here.
 */
public interface DecoderConfig {

    /** config.json's model_type ("llama", "mistral", "qwen2", "opt", "gpt2"). */
    String modelType();

    int vocabSize();

    int hiddenSize();

    int numLayers();

    int numHeads();

    /** Key/value heads; equals {@link #numHeads()} unless the model uses grouped-query attention. */
    default int numKvHeads() {
        return numHeads();
    }

    /** Width of one head; the hidden width split evenly over the heads unless the config says otherwise. */
    default int headDim() {
        return hiddenSize() / numHeads();
    }

    /** Width of the MLP's inner layer (intermediate_size, ffn_dim, n_inner). */
    int intermediateSize();

    /** The longest sequence the model was trained for (max_position_embeddings, n_positions, seq_len). */
    int contextLength();

    /** The same model with only its first {@code layers} decoder blocks. */
    DecoderConfig withLayers(int layers);

    /**
     * The model that dropping blocks leaves: layer k is source layer {@code sourceLayers[k]}. The same as
     * {@link #withLayers} where every layer is alike; a family whose layers differ by index (Gemma's sliding-window
     * layers) keeps each kept layer's own kind.
     */
    default DecoderConfig keepingLayers(int[] sourceLayers) {
        return withLayers(sourceLayers.length);
    }

    /** Each field's value, paired in order, must be positive; the first that is not is the error. */
    static void requirePositive(List<String> fields, long... values) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] <= 0) {
                throw new IllegalArgumentException(fields.get(i) + " must be positive, was " + values[i]);
            }
        }
    }

    /**
     * The dimensions of a rotary decoder with grouped-query attention (Llama, Gemma), named as their config.json
     * names them: each positive, the query heads a multiple of the key/value heads, head_dim even.
     */
    static void requireRotaryShape(int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
            int numKvHeads, int headDim, int contextLength) {
        requirePositive(List.of("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings"),
                vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, contextLength);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numHeads
                    + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim " + headDim + " must be even for rotary embeddings");
        }
    }
}
