package dev.prunelab.pruning.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A checkpoint opened for reading: its config, its weights (Hugging Face names of its family) and where it
 * came from. Closing it releases the weight mappings.
 *
 * @param source        the llama2.c file or the Hugging Face directory that was opened
 * @param weightFiles   the files holding the weights (one llama2.c file, or the safetensors files)
 * @param tokenizerPath a tokenizer file or directory found with or given for the model, if any
 * @param bosTokenId    id prepended to every text (config.json bos_token_id; 1 for llama2.c), -1 if none
 * @param eosTokenId    end-of-text id (config.json eos_token_id; 2 for llama2.c), -1 if none
 * @param bosRule       which file and field chose {@code bosTokenId}, for the model card
 *                      ({@code dev.prunelab.text.tokenizer.BosRule#describe()})
 */
public record LoadedModel(
        DecoderConfig config,
        TensorSource tensors,
        Path source,
        List<Path> weightFiles,
        Optional<Path> tokenizerPath,
        int bosTokenId,
        int eosTokenId,
        String bosRule) implements AutoCloseable {

    public LoadedModel {
        weightFiles = List.copyOf(weightFiles);
        if (bosRule == null) {
            bosRule = bosTokenId < 0 ? "no BOS" : "id " + bosTokenId + " prepended";
        }
    }

    /** A model whose BOS id is given as it is (no rule recorded beyond the id). */
    public LoadedModel(DecoderConfig config, TensorSource tensors, Path source, List<Path> weightFiles,
            Optional<Path> tokenizerPath, int bosTokenId, int eosTokenId) {
        this(config, tensors, source, weightFiles, tokenizerPath, bosTokenId, eosTokenId, null);
    }

    /** The same model over other tensors and config (a structured cut), keeping its source, tokenizer and BOS. */
    public LoadedModel withTensors(DecoderConfig newConfig, TensorSource newTensors) {
        return new LoadedModel(newConfig, newTensors, source, weightFiles, tokenizerPath, bosTokenId, eosTokenId,
                bosRule);
    }

    @Override
    public void close() {
        tensors.close();
    }
}
