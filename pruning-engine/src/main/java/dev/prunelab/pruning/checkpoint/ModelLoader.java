package dev.prunelab.pruning.checkpoint;

import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.Gpt2Config;
import dev.prunelab.pruning.model.LlamaConfig;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.OptConfig;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.model.WeightNames;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
                LLAMA2C_BOS, LLAMA2C_EOS);
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
        return new LoadedModel(config.config(), tensors, directory, weightFiles, foundTokenizer,
                config.bosTokenId(), config.eosTokenId());
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

    /** {@link #checkLayout(DecoderConfig, TensorSource, Path)} for an opened model. */
    public static void checkLayout(LoadedModel model) {
        checkLayout(model.config(), model.tensors(), model.source());
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
        Checker check = new Checker(tensors, source, config);
        if (config instanceof LlamaConfig c) {
            checkLlama(c, check);
        } else if (config instanceof OptConfig c) {
            checkOpt(c, check);
        } else if (config instanceof Gpt2Config c) {
            checkGpt2(c, check);
        }
    }

    private static void checkLlama(LlamaConfig c, Checker check) {
        long hidden = c.hiddenSize();
        long headDim = c.headDim();
        check.exact(WeightNames.Llama.EMBED, c.vocabSize(), hidden);
        check.exact(WeightNames.Llama.FINAL_NORM, hidden);
        if (!c.tieWordEmbeddings() || check.present(WeightNames.Llama.LM_HEAD)) {
            check.exact(WeightNames.Llama.LM_HEAD, c.vocabSize(), hidden);
        }
        // Llama's attention_bias also puts a bias on o_proj; Qwen2 has biases on q/k/v only.
        boolean outputBias = c.attentionBias() && !"qwen2".equals(c.modelType());
        for (int layer = 0; layer < c.numLayers(); layer++) {
            check.exact(WeightNames.Llama.inputNorm(layer), hidden);
            check.exact(WeightNames.Llama.postAttentionNorm(layer), hidden);
            String q = WeightNames.Llama.attention(layer, "q_proj.");
            String k = WeightNames.Llama.attention(layer, "k_proj.");
            String v = WeightNames.Llama.attention(layer, "v_proj.");
            String o = WeightNames.Llama.attention(layer, "o_proj.");
            long qRows = check.rows(q + "weight", hidden, headDim, "head_dim");
            long kvRows = check.rows(k + "weight", hidden, headDim, "head_dim");
            check.exact(v + "weight", kvRows, hidden);
            check.exact(o + "weight", hidden, qRows);
            long qHeads = qRows / headDim;
            long kvHeads = kvRows / headDim;
            if (kvHeads == 0 ? qHeads != 0 : qHeads % kvHeads != 0) {
                throw new ModelFormatException(check.fileOf(q + "weight"), q + "weight", qHeads
                        + " query heads cannot be grouped over " + kvHeads + " key/value heads");
            }
            if (c.attentionBias()) {
                check.exact(q + "bias", qRows);
                check.exact(k + "bias", kvRows);
                check.exact(v + "bias", kvRows);
            }
            if (outputBias) {
                check.exact(o + "bias", hidden);
            }
            String gate = WeightNames.Llama.mlp(layer, "gate_proj.");
            String up = WeightNames.Llama.mlp(layer, "up_proj.");
            String down = WeightNames.Llama.mlp(layer, "down_proj.");
            long width = check.rows(gate + "weight", hidden, 1, "1");
            check.exact(up + "weight", width, hidden);
            check.exact(down + "weight", hidden, width);
            if (c.mlpBias()) {
                check.exact(gate + "bias", width);
                check.exact(up + "bias", width);
                check.exact(down + "bias", hidden);
            }
        }
    }

    private static void checkOpt(OptConfig c, Checker check) {
        long hidden = c.hiddenSize();
        long headDim = c.headDim();
        long projected = c.wordEmbedProjDim();
        check.exact(WeightNames.Opt.EMBED, c.vocabSize(), projected);
        check.exact(WeightNames.Opt.POSITIONS, (long) c.contextLength() + OptConfig.POSITION_OFFSET, hidden);
        if (c.projectsEmbeddings()) {
            check.exact(WeightNames.Opt.PROJECT_IN, hidden, projected);
            check.exact(WeightNames.Opt.PROJECT_OUT, projected, hidden);
        }
        if (c.hasFinalLayerNorm()) {
            check.exact(WeightNames.Opt.FINAL_NORM + "weight", hidden);
            check.exact(WeightNames.Opt.FINAL_NORM + "bias", hidden);
        }
        if (check.present(WeightNames.Opt.LM_HEAD)) {
            check.exact(WeightNames.Opt.LM_HEAD, c.vocabSize(), projected);
        }
        for (int layer = 0; layer < c.numLayers(); layer++) {
            for (String norm : List.of("self_attn_layer_norm.", "final_layer_norm.")) {
                check.exact(WeightNames.Opt.norm(layer, norm) + "weight", hidden);
                check.exact(WeightNames.Opt.norm(layer, norm) + "bias", hidden);
            }
            String q = WeightNames.Opt.attention(layer, "q_proj.");
            long width = check.rows(q + "weight", hidden, headDim, "head_dim");
            check.exact(WeightNames.Opt.attention(layer, "k_proj.") + "weight", width, hidden);
            check.exact(WeightNames.Opt.attention(layer, "v_proj.") + "weight", width, hidden);
            check.exact(WeightNames.Opt.attention(layer, "out_proj.") + "weight", hidden, width);
            String fc1 = WeightNames.Opt.mlp(layer, "fc1.");
            String fc2 = WeightNames.Opt.mlp(layer, "fc2.");
            long ffn = check.rows(fc1 + "weight", hidden, 1, "1");
            check.exact(fc2 + "weight", hidden, ffn);
            if (c.enableBias()) {
                for (String proj : List.of("q_proj.", "k_proj.", "v_proj.")) {
                    check.exact(WeightNames.Opt.attention(layer, proj) + "bias", width);
                }
                check.exact(WeightNames.Opt.attention(layer, "out_proj.") + "bias", hidden);
                check.exact(fc1 + "bias", ffn);
                check.exact(fc2 + "bias", hidden);
            }
        }
    }

    private static void checkGpt2(Gpt2Config c, Checker check) {
        long hidden = c.hiddenSize();
        long headDim = c.headDim();
        check.exact(WeightNames.Gpt2.EMBED, c.vocabSize(), hidden);
        check.exact(WeightNames.Gpt2.POSITIONS, c.contextLength(), hidden);
        check.exact(WeightNames.Gpt2.FINAL_NORM + "weight", hidden);
        check.exact(WeightNames.Gpt2.FINAL_NORM + "bias", hidden);
        for (int layer = 0; layer < c.numLayers(); layer++) {
            for (String norm : List.of("ln_1.", "ln_2.")) {
                check.exact(WeightNames.Gpt2.norm(layer, norm) + "weight", hidden);
                check.exact(WeightNames.Gpt2.norm(layer, norm) + "bias", hidden);
            }
            // Conv1D weights are [in, out]: c_attn's columns are q, k and v side by side.
            String cAttn = WeightNames.Gpt2.attention(layer, "c_attn.");
            long qkv = check.columns(cAttn + "weight", hidden, 3 * headDim, "3 * head_dim");
            long width = qkv / 3;
            check.exact(cAttn + "bias", qkv);
            String attnProj = WeightNames.Gpt2.attention(layer, "c_proj.");
            check.exact(attnProj + "weight", width, hidden);
            check.exact(attnProj + "bias", hidden);
            String cFc = WeightNames.Gpt2.mlp(layer, "c_fc.");
            String mlpProj = WeightNames.Gpt2.mlp(layer, "c_proj.");
            long inner = check.columns(cFc + "weight", hidden, 1, "1");
            check.exact(cFc + "bias", inner);
            check.exact(mlpProj + "weight", inner, hidden);
            check.exact(mlpProj + "bias", hidden);
        }
    }

    /** Shape assertions whose errors name the tensor, its file and both shapes. */
    private static final class Checker {
        private final TensorSource tensors;
        private final Path source;
        private final DecoderConfig config;

        Checker(TensorSource tensors, Path source, DecoderConfig config) {
            this.tensors = tensors;
            this.source = source;
            this.config = config;
        }

        boolean present(String name) {
            return tensors.contains(name);
        }

        Path fileOf(String name) {
            return tensors.info(name).file();
        }

        private TensorInfo info(String name) {
            if (!tensors.contains(name)) {
                throw new ModelFormatException(source, name, "missing (required by the " + config.modelType()
                        + " layout)");
            }
            return tensors.info(name);
        }

        void exact(String name, long... expected) {
            TensorInfo info = info(name);
            if (!Arrays.equals(info.shape(), expected)) {
                throw new ModelFormatException(info.file(), name, "shape " + Arrays.toString(info.shape())
                        + " where " + Arrays.toString(expected) + " was expected");
            }
        }

        /** A [rows, columns] matrix with the given columns and rows a multiple of unit; returns rows. */
        long rows(String name, long columns, long unit, String unitName) {
            long[] shape = matrix(name);
            if (shape[1] != columns || shape[0] % unit != 0) {
                throw new ModelFormatException(info(name).file(), name, "shape " + Arrays.toString(shape)
                        + " where [k * " + unitName + " (" + unit + "), " + columns + "] was expected");
            }
            return shape[0];
        }

        /** A [rows, columns] matrix with the given rows and columns a multiple of unit; returns columns. */
        long columns(String name, long rows, long unit, String unitName) {
            long[] shape = matrix(name);
            if (shape[0] != rows || shape[1] % unit != 0) {
                throw new ModelFormatException(info(name).file(), name, "shape " + Arrays.toString(shape)
                        + " where [" + rows + ", k * " + unitName + " (" + unit + ")] was expected");
            }
            return shape[1];
        }

        private long[] matrix(String name) {
            TensorInfo info = info(name);
            if (info.rank() != 2) {
                throw new ModelFormatException(info.file(), name, "rank " + info.rank() + " (shape "
                        + Arrays.toString(info.shape()) + ") where a matrix was expected");
            }
            return info.shape();
        }
    }
}
