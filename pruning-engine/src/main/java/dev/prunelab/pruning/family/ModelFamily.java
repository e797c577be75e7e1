package dev.prunelab.pruning.family;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything that differs between decoder families, in one place per family: how config.json reads and writes,
 * which tensors a checkpoint holds and with which shapes, the forward pass as ONNX nodes, the removable units of
 * structured pruning and the costs outside the decoder layers. The loader, the exporter, the synthesizer and
 * both pruners ask {@link ModelFamilies} for the model's family and never test for a family themselves, so a new
 * family is one package implementing this and one line in {@link ModelFamilies}.
 */
public interface ModelFamily {

    /** The short name written into model cards and reports ("llama", "opt", "gpt2"). */
    String id();

    /** The config.json {@code model_type} values this family reads. */
    List<String> modelTypes();

    /** The model's shape from config.json; absent fields take Hugging Face's defaults for the family. */
    DecoderConfig readConfig(ConfigFields fields, String modelType);

    /** bos_token_id Hugging Face assumes when config.json has none. */
    int defaultBosTokenId();

    /** eos_token_id Hugging Face assumes when config.json has none. */
    int defaultEosTokenId();

    /** config.json's shape fields as save_pretrained writes them (token ids and torch_dtype are written by the caller). */
    void writeConfig(DecoderConfig config, ObjectNode json);

    /**
     * The fields every Llama-like config.json spells the same way, in transformers' order: model_type, the widths,
     * the layer and head counts, head_dim and max_position_embeddings.
     */
    static void writeShape(DecoderConfig c, ObjectNode json) {
        json.put("model_type", c.modelType());
        json.put("vocab_size", c.vocabSize());
        json.put("hidden_size", c.hiddenSize());
        json.put("intermediate_size", c.intermediateSize());
        json.put("num_hidden_layers", c.numLayers());
        json.put("num_attention_heads", c.numHeads());
        json.put("num_key_value_heads", c.numKvHeads());
        json.put("head_dim", c.headDim());
        json.put("max_position_embeddings", c.contextLength());
    }

    /**
     * Checks that every tensor the family needs is present with a consistent shape: model-wide widths from the
     * config, per-layer widths (heads and MLP channels kept by structured pruning) from the tensors themselves.
     */
    void checkLayout(DecoderConfig config, LayoutCheck check);

    /** Every tensor of the family's Hugging Face checkpoint, in the order its modules declare them. */
    List<CheckpointTensor> checkpointLayout(DecoderConfig config);

    /** The forward pass in ONNX nodes; a new instance per graph, since it remembers shared values. */
    FamilyGraphs graphs(DecoderConfig config);

    /** What every per-layer tensor name starts with, before the layer index ("model.layers."). */
    String layerPrefix();

    /** Key/value heads of {@code layer}, read off its projection shapes. */
    int kvHeads(DecoderConfig config, TensorSource weights, int layer);

    /** The MLP channels of {@code layer} and every tensor slice each owns. */
    Units mlpUnits(DecoderConfig config, TensorSource weights, int layer);

    /** The attention heads of {@code layer} and every tensor slice each owns. */
    Units headUnits(DecoderConfig config, TensorSource weights, int layer);

    /** Multiply-accumulates per token outside the decoder layers: the LM head and any embedding projections. */
    long headMacs(DecoderConfig config, TensorSource weights);

    /**
     * A Hugging Face checkpoint's tensors as the rest of the lab reads them: the checkpoint itself, except in a
     * family whose checkpoint fuses matrices that are pruned and cut as the separate matrices they hold (Phi-3's
     * qkv_proj and gate_up_proj), which presents them split under its neighbour's names. Errors about the fused
     * tensors name them as the checkpoint stores them. Closing the result closes the checkpoint.
     *
     * @param source the checkpoint's directory, named in the error about a missing tensor
     */
    default TensorSource fromCheckpoint(DecoderConfig config, TensorSource checkpoint, Path source) {
        return checkpoint;
    }

    /**
     * The inverse of {@link #fromCheckpoint}: tensors the lab names (pruned weights) under the names and layout of
     * the family's checkpoint, for writing them back as a Hugging Face directory. Closing it closes {@code tensors}.
     */
    default TensorSource toCheckpoint(DecoderConfig config, TensorSource tensors) {
        return tensors;
    }

    /** {@link #kvHeads} of every layer. */
    default int[] kvHeadsPerLayer(DecoderConfig config, TensorSource weights) {
        int[] heads = new int[config.numLayers()];
        for (int layer = 0; layer < heads.length; layer++) {
            heads[layer] = kvHeads(config, weights, layer);
        }
        return heads;
    }
}
