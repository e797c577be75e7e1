package dev.prunelab.pruner.model;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A checkpoint opened for reading: its config, its weights (Hugging Face names of its family) and where it
 * came from. Closing it releases the weight mappings.
 *
 * @param source        the llama2.c file or the Hugging Face directory that was opened
 * @param weightFiles   the files holding the weights (one llama2.c file, or the safetensors files)
 * @param tokenizerPath a tokenizer file or directory found with or given for the model, if any
 */
public record LoadedModel(
        DecoderConfig config,
        TensorSource tensors,
        Path source,
        java.util.List<Path> weightFiles,
        Optional<Path> tokenizerPath) implements AutoCloseable {

    public LoadedModel {
        weightFiles = java.util.List.copyOf(weightFiles);
    }

    @Override
    public void close() {
        tensors.close();
    }
}
