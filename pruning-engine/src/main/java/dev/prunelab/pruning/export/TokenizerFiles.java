package dev.prunelab.pruning.export;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Copies a model's tokenizer next to its exported graph, so the evaluator needs nothing else.
 *
 * @param file the tokenizer file or directory name relative to the export directory ("." for GPT-2 BPE files)
 * @param kind "llama2c", "gpt2-bpe" or "hf-json"
 */
record TokenizerFiles(String file, String kind) {

    static TokenizerFiles copy(Optional<Path> tokenizer, Path directory) throws IOException {
        if (tokenizer.isEmpty()) {
            return null;
        }
        Path source = tokenizer.get();
        if (Files.isDirectory(source)) {
            if (Files.exists(source.resolve("tokenizer.json"))) {
                Files.copy(source.resolve("tokenizer.json"), directory.resolve("tokenizer.json"));
                return new TokenizerFiles("tokenizer.json", "hf-json");
            }
            if (Files.exists(source.resolve("vocab.json")) && Files.exists(source.resolve("merges.txt"))) {
                Files.copy(source.resolve("vocab.json"), directory.resolve("vocab.json"));
                Files.copy(source.resolve("merges.txt"), directory.resolve("merges.txt"));
                return new TokenizerFiles(".", "gpt2-bpe");
            }
            throw new IllegalArgumentException(source + ": no tokenizer.json, nor vocab.json + merges.txt");
        }
        if (!Files.isRegularFile(source)) {
            throw new IllegalArgumentException("tokenizer " + source + " does not exist");
        }
        String name = source.getFileName().toString();
        if (name.endsWith(".json")) {
            Files.copy(source, directory.resolve("tokenizer.json"));
            return new TokenizerFiles("tokenizer.json", "hf-json");
        }
        if (name.endsWith(".bin")) {
            Files.copy(source, directory.resolve("tokenizer.bin"));
            return new TokenizerFiles("tokenizer.bin", "llama2c");
        }
        throw new IllegalArgumentException("tokenizer " + source
                + ": expected a llama2.c tokenizer.bin, a tokenizer.json, or a folder with vocab.json + merges.txt");
    }
}
