package dev.prunelab.pruning.checkpoint;

import dev.prunelab.pruning.family.LayoutCheck;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.text.tokenizer.BosRule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Opens a model from a path: a regular file is a llama2.c checkpoint, a directory a Hugging Face checkpoint
 * (config.json plus model.safetensors or a sharded model.safetensors.index.json). Every opened model is
 * checked with {@link #checkLayout} before it is returned.
 */
public final class ModelLoader {
    /** llama2.c's tokenizer.bin puts &lt;s&gt; at 1 and &lt;/s&gt; at 2. */
    private static final int LLAMA2C_BOS = 1;
    private static final int LLAMA2C_EOS = 2;

    private ModelLoader() {
    }

    public static LoadedModel open(Path path) {
        return open(path, Optional.empty());
    }

    /**
     * @param tokenizer a tokenizer file or directory to use instead of the one found next to the model
     */
    public static LoadedModel open(Path path, Optional<Path> tokenizer) {
        if (!Files.exists(path)) {
            throw new ModelFormatException(path, "does not exist (expected a llama2.c .bin file or a Hugging Face"
                    + " model directory)");
        }
        if (tokenizer.isPresent() && !Files.exists(tokenizer.get())) {
            throw new ModelFormatException(tokenizer.get(), "tokenizer does not exist");
        }
        LoadedModel model = Files.isDirectory(path) ? openDirectory(path, tokenizer) : openLlama2c(path, tokenizer);
        try {
            checkLayout(model);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    private static LoadedModel openLlama2c(Path file, Optional<Path> tokenizer) {
        String fileName = file.getFileName().toString();
        if (fileName.endsWith(".safetensors") || fileName.endsWith(".json")) {
            throw new ModelFormatException(file, "is part of a Hugging Face checkpoint; open its directory instead");
        }
        Llama2cCheckpoint checkpoint = Llama2cCheckpoint.open(file);
        Optional<Path> foundTokenizer = tokenizer.isPresent() ? tokenizer : llama2cTokenizer(file);
        return new LoadedModel(checkpoint.config(), checkpoint, file, List.of(file), foundTokenizer,
                LLAMA2C_BOS, LLAMA2C_EOS, new BosRule(LLAMA2C_BOS, "<s>", "llama2.c").describe());
    }

    /** tokenizer.bin next to the model, else the only tok*.bin there (llama2.c names them tok512.bin etc.). */
    private static Optional<Path> llama2cTokenizer(Path file) {
        Path directory = file.toAbsolutePath().getParent();
        Path standard = directory.resolve("tokenizer.bin");
        if (Files.isRegularFile(standard)) {
            return Optional.of(standard);
        }
        try (Stream<Path> entries = Files.list(directory)) {
            List<Path> candidates = entries
                    .filter(p -> {
                        String name = p.getFileName().toString();
                        return name.startsWith("tok") && name.endsWith(".bin") && Files.isRegularFile(p);
                    })
                    .filter(p -> !p.getFileName().equals(file.getFileName()))
                    .toList();
            // Two candidates would be a guess; the caller can pass the tokenizer explicitly.
            return candidates.size() == 1 ? Optional.of(candidates.get(0)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(directory + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static LoadedModel openDirectory(Path directory, Optional<Path> tokenizer) {
        Path configJson = directory.resolve("config.json");
        Path single = directory.resolve("model.safetensors");
        Path index = directory.resolve("model.safetensors.index.json");
        if (!Files.isRegularFile(configJson)) {
            throw new ModelFormatException(directory, "has no config.json (a Hugging Face model directory needs"
                    + " config.json and model.safetensors or model.safetensors.index.json)");
        }
        HuggingFaceConfig config = HuggingFaceConfig.read(configJson);
        TensorSource tensors;
        List<Path> weightFiles;
        if (Files.isRegularFile(single)) {
            tensors = SafetensorsFile.open(single);
            weightFiles = List.of(single);
        } else if (Files.isRegularFile(index)) {
            ShardedSafetensors sharded = ShardedSafetensors.open(index);
            tensors = sharded;
            weightFiles = sharded.shardFiles();
        } else if (Files.exists(directory.resolve("pytorch_model.bin"))
                || Files.exists(directory.resolve("pytorch_model.bin.index.json"))) {
            throw new ModelFormatException(directory, "has only pytorch_model.bin weights; only safetensors is read"
                    + " (pickled PyTorch files can run code), convert them to model.safetensors first");
        } else {
            throw new ModelFormatException(directory, "has no weights: looked for model.safetensors and"
                    + " model.safetensors.index.json");
        }
        Optional<Path> foundTokenizer = tokenizer.isPresent() ? tokenizer : directoryTokenizer(directory);
        BosRule bos;
        try {
            bos = bosRule(foundTokenizer, config);
            // a family whose checkpoint fuses matrices the lab reads apart (Phi-3's qkv_proj) presents them split
            tensors = ModelFamilies.of(config.config()).fromCheckpoint(config.config(), tensors, directory);
        } catch (RuntimeException e) {
            tensors.close();
            throw e;
        }
        return new LoadedModel(config.config(), tensors, directory, weightFiles, foundTokenizer,
                bos.tokenId(), config.eosTokenId(), bos.describe());
    }

    /**
     * The BOS the tokenizer files prescribe ({@link BosRule}: tokenizer_config.json's add_bos_token, else
     * tokenizer.json's post-processor), else config.json's bos_token_id; an id beyond the model's vocabulary is
     * refused naming the tokenizer.
     */
    private static BosRule bosRule(Optional<Path> tokenizer, HuggingFaceConfig config) {
        // a tokenizer file that is not JSON or names an unknown BOS is refused by BosRule, naming the file
        BosRule rule = tokenizer.flatMap(BosRule::fromTokenizerFiles).orElse(BosRule.configJson(config.bosTokenId()));
        if (rule.tokenId() >= config.config().vocabSize()) {
            throw new ModelFormatException(tokenizer.get(), "BOS token id " + rule.tokenId() + " (" + rule.token()
                    + ", from " + rule.source() + ") is outside the model's vocab_size " + config.config().vocabSize());
        }
        return rule;
    }

    private static Optional<Path> directoryTokenizer(Path directory) {
        Path tokenizerJson = directory.resolve("tokenizer.json");
        if (Files.isRegularFile(tokenizerJson)) {
            return Optional.of(tokenizerJson);
        }
        if (Files.isRegularFile(directory.resolve("vocab.json")) && Files.isRegularFile(directory.resolve("merges.txt"))) {
            return Optional.of(directory);
        }
        Path bin = directory.resolve("tokenizer.bin");
        return Files.isRegularFile(bin) ? Optional.of(bin) : Optional.empty();
    }

    /**
     * {@link #checkLayout(DecoderConfig, TensorSource, Path)} for an opened model, whose every width must also be the
     * one its config says (a config.json that contradicts its tensors is named, field and tensor).
     */
    public static void checkLayout(LoadedModel model) {
        ModelFamilies.of(model.config()).checkLayout(model.config(),
                LayoutCheck.ofCheckpoint(model.tensors(), model.source(), model.config()));
    }

    /**
     * Checks that every tensor the family needs is present with a consistent shape. The model-wide widths
     * (vocabulary, hidden size, head_dim) come from the config; per-layer widths (attention heads kept, MLP
     * width) are read from the tensors, because a structurally pruned model narrows layers differently, and only
     * their consistency is checked: q_proj rows a multiple of head_dim, o_proj's columns equal to q_proj's rows,
     * gate/up/down agreeing, and so on.
     *
     * @param source named in the error when a tensor is missing
     */
    public static void checkLayout(DecoderConfig config, TensorSource tensors, Path source) {
        ModelFamilies.of(config).checkLayout(config, new LayoutCheck(tensors, source, config));
    }
}
