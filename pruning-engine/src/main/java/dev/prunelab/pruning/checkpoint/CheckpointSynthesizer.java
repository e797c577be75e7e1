package dev.prunelab.pruning.checkpoint;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.Gpt2Config;
import dev.prunelab.pruning.model.LlamaConfig;
import dev.prunelab.pruning.model.OptConfig;
import dev.prunelab.pruning.model.WeightNames;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes random-weight checkpoints in the exact Hugging Face layout (config.json, model.safetensors or shards
 * with model.safetensors.index.json), tensor by tensor in bounded chunks so even a 7B preset never sits in
 * memory. Linear and embedding weights are N(0, 0.02) as in Hugging Face's initialisation, but norm weights
 * are 1 + N(0, 0.1) and biases N(0, 0.02) rather than exactly 1 and 0, so that an oracle comparing two
 * forward passes notices a norm or bias that is applied wrongly or not at all.
 */
public final class CheckpointSynthesizer {
    /** Hugging Face's default max_shard_size is a few GB; 2 GB keeps every shard mappable in one piece. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 2_000_000_000L;

    private CheckpointSynthesizer() {
    }

    /** How a tensor is initialised. */
    public enum Init {
        WEIGHT, NORM, BIAS
    }

    /** One tensor of the layout, in the order it is written. */
    public record Tensor(String name, long[] shape, Init init) {
        public Tensor {
            shape = shape.clone();
            if (name == null || name.isEmpty() || init == null) {
                throw new IllegalArgumentException("tensor needs a name and an init");
            }
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /** Writes {@code preset} into {@code directory} (created if needed), sharding at 2 GB. */
    public static void write(Path directory, SynthesisPreset preset, DType dtype, long seed) {
        write(directory, preset.config(), dtype, seed, DEFAULT_MAX_SHARD_BYTES);
    }

    /**
     * @param maxShardBytes a checkpoint larger than this is split into shards of at most this size (a single
     *                      tensor larger than it gets a shard of its own)
     */
    public static void write(Path directory, HuggingFaceConfig config, DType dtype, long seed, long maxShardBytes) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive, was " + maxShardBytes);
        }
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(directory + ": cannot create: " + e.getMessage(), e);
        }
        config.write(directory.resolve("config.json"), dtype);
        List<Tensor> tensors = layout(config.config());
        List<List<Tensor>> shards = new ArrayList<>();
        long shardBytes = 0;
        long totalBytes = 0;
        for (Tensor tensor : tensors) {
            long bytes = entry(tensor, dtype).sizeBytes();
            if (shards.isEmpty() || (shardBytes + bytes > maxShardBytes && shardBytes > 0)) {
                shards.add(new ArrayList<>());
                shardBytes = 0;
            }
            shards.get(shards.size() - 1).add(tensor);
            shardBytes += bytes;
            totalBytes += bytes;
        }
        // One random stream in file order: the same seed gives the same bytes, sharded or not.
        SplittableRandom random = new SplittableRandom(seed);
        if (shards.size() == 1) {
            writeShard(directory.resolve("model.safetensors"), shards.get(0), dtype, random);
            return;
        }
        ObjectNode index = Json.MAPPER.createObjectNode();
        index.putObject("metadata").put("total_size", totalBytes);
        ObjectNode weightMap = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String shardName = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            writeShard(directory.resolve(shardName), shards.get(i), dtype, random);
            for (Tensor tensor : shards.get(i)) {
                weightMap.put(tensor.name(), shardName);
            }
        }
        try {
            Files.write(directory.resolve("model.safetensors.index.json"),
                    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
        } catch (IOException e) {
            throw new UncheckedIOException(directory + ": cannot write the shard index: " + e.getMessage(), e);
        }
    }

    private static SafetensorsWriter.Entry entry(Tensor tensor, DType dtype) {
        return new SafetensorsWriter.Entry(tensor.name(), dtype, tensor.shape());
    }

    private static void writeShard(Path file, List<Tensor> tensors, DType dtype, SplittableRandom random) {
        List<SafetensorsWriter.Entry> entries = tensors.stream().map(t -> entry(t, dtype)).toList();
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, entries, SafetensorsWriter.PT_METADATA)) {
            for (Tensor tensor : tensors) {
                double mean = tensor.init() == Init.NORM ? 1.0 : 0.0;
                double std = tensor.init() == Init.NORM ? 0.1 : 0.02;
                writer.write(tensor.name(), (first, buffer, length) -> {
                    for (int i = 0; i < length; i++) {
                        buffer[i] = (float) (mean + std * random.nextGaussian());
                    }
                });
            }
        }
    }

    /** Every tensor of the family's Hugging Face checkpoint, in the order Hugging Face's modules declare them. */
    public static List<Tensor> layout(DecoderConfig config) {
        List<Tensor> tensors = new ArrayList<>();
        if (config instanceof LlamaConfig c) {
            llama(c, tensors);
        } else if (config instanceof OptConfig c) {
            opt(c, tensors);
        } else if (config instanceof Gpt2Config c) {
            gpt2(c, tensors);
        }
        return List.copyOf(tensors);
    }

    private static void add(List<Tensor> tensors, String name, Init init, long... shape) {
        tensors.add(new Tensor(name, shape, init));
    }

    private static void llama(LlamaConfig c, List<Tensor> t) {
        long hidden = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long mlp = c.intermediateSize();
        add(t, WeightNames.Llama.EMBED, Init.WEIGHT, c.vocabSize(), hidden);
        boolean outputBias = c.attentionBias() && !"qwen2".equals(c.modelType());
        for (int layer = 0; layer < c.numLayers(); layer++) {
            add(t, WeightNames.Llama.inputNorm(layer), Init.NORM, hidden);
            for (String proj : List.of("q_proj", "k_proj", "v_proj")) {
                long rows = proj.equals("q_proj") ? q : kv;
                add(t, WeightNames.Llama.attention(layer, proj + ".weight"), Init.WEIGHT, rows, hidden);
                if (c.attentionBias()) {
                    add(t, WeightNames.Llama.attention(layer, proj + ".bias"), Init.BIAS, rows);
                }
            }
            add(t, WeightNames.Llama.attention(layer, "o_proj.weight"), Init.WEIGHT, hidden, q);
            if (outputBias) {
                add(t, WeightNames.Llama.attention(layer, "o_proj.bias"), Init.BIAS, hidden);
            }
            add(t, WeightNames.Llama.mlp(layer, "gate_proj.weight"), Init.WEIGHT, mlp, hidden);
            add(t, WeightNames.Llama.mlp(layer, "up_proj.weight"), Init.WEIGHT, mlp, hidden);
            add(t, WeightNames.Llama.mlp(layer, "down_proj.weight"), Init.WEIGHT, hidden, mlp);
            if (c.mlpBias()) {
                add(t, WeightNames.Llama.mlp(layer, "gate_proj.bias"), Init.BIAS, mlp);
                add(t, WeightNames.Llama.mlp(layer, "up_proj.bias"), Init.BIAS, mlp);
                add(t, WeightNames.Llama.mlp(layer, "down_proj.bias"), Init.BIAS, hidden);
            }
            add(t, WeightNames.Llama.postAttentionNorm(layer), Init.NORM, hidden);
        }
        add(t, WeightNames.Llama.FINAL_NORM, Init.NORM, hidden);
        if (!c.tieWordEmbeddings()) {
            add(t, WeightNames.Llama.LM_HEAD, Init.WEIGHT, c.vocabSize(), hidden);
        }
    }

    private static void opt(OptConfig c, List<Tensor> t) {
        long hidden = c.hiddenSize();
        long ffn = c.ffnDim();
        add(t, WeightNames.Opt.EMBED, Init.WEIGHT, c.vocabSize(), c.wordEmbedProjDim());
        add(t, WeightNames.Opt.POSITIONS, Init.WEIGHT, (long) c.contextLength() + OptConfig.POSITION_OFFSET, hidden);
        if (c.hasFinalLayerNorm()) {
            add(t, WeightNames.Opt.FINAL_NORM + "weight", Init.NORM, hidden);
            add(t, WeightNames.Opt.FINAL_NORM + "bias", Init.BIAS, hidden);
        }
        if (c.projectsEmbeddings()) {
            add(t, WeightNames.Opt.PROJECT_OUT, Init.WEIGHT, c.wordEmbedProjDim(), hidden);
            add(t, WeightNames.Opt.PROJECT_IN, Init.WEIGHT, hidden, c.wordEmbedProjDim());
        }
        for (int layer = 0; layer < c.numLayers(); layer++) {
            for (String proj : List.of("k_proj", "v_proj", "q_proj", "out_proj")) {
                add(t, WeightNames.Opt.attention(layer, proj + ".weight"), Init.WEIGHT, hidden, hidden);
                if (c.enableBias()) {
                    add(t, WeightNames.Opt.attention(layer, proj + ".bias"), Init.BIAS, hidden);
                }
            }
            add(t, WeightNames.Opt.norm(layer, "self_attn_layer_norm.weight"), Init.NORM, hidden);
            add(t, WeightNames.Opt.norm(layer, "self_attn_layer_norm.bias"), Init.BIAS, hidden);
            add(t, WeightNames.Opt.mlp(layer, "fc1.weight"), Init.WEIGHT, ffn, hidden);
            if (c.enableBias()) {
                add(t, WeightNames.Opt.mlp(layer, "fc1.bias"), Init.BIAS, ffn);
            }
            add(t, WeightNames.Opt.mlp(layer, "fc2.weight"), Init.WEIGHT, hidden, ffn);
            if (c.enableBias()) {
                add(t, WeightNames.Opt.mlp(layer, "fc2.bias"), Init.BIAS, hidden);
            }
            add(t, WeightNames.Opt.norm(layer, "final_layer_norm.weight"), Init.NORM, hidden);
            add(t, WeightNames.Opt.norm(layer, "final_layer_norm.bias"), Init.BIAS, hidden);
        }
    }

    private static void gpt2(Gpt2Config c, List<Tensor> t) {
        long hidden = c.hiddenSize();
        long inner = c.innerSize();
        add(t, WeightNames.Gpt2.EMBED, Init.WEIGHT, c.vocabSize(), hidden);
        add(t, WeightNames.Gpt2.POSITIONS, Init.WEIGHT, c.contextLength(), hidden);
        for (int layer = 0; layer < c.numLayers(); layer++) {
            add(t, WeightNames.Gpt2.norm(layer, "ln_1.weight"), Init.NORM, hidden);
            add(t, WeightNames.Gpt2.norm(layer, "ln_1.bias"), Init.BIAS, hidden);
            add(t, WeightNames.Gpt2.attention(layer, "c_attn.weight"), Init.WEIGHT, hidden, 3 * hidden);
            add(t, WeightNames.Gpt2.attention(layer, "c_attn.bias"), Init.BIAS, 3 * hidden);
            add(t, WeightNames.Gpt2.attention(layer, "c_proj.weight"), Init.WEIGHT, hidden, hidden);
            add(t, WeightNames.Gpt2.attention(layer, "c_proj.bias"), Init.BIAS, hidden);
            add(t, WeightNames.Gpt2.norm(layer, "ln_2.weight"), Init.NORM, hidden);
            add(t, WeightNames.Gpt2.norm(layer, "ln_2.bias"), Init.BIAS, hidden);
            add(t, WeightNames.Gpt2.mlp(layer, "c_fc.weight"), Init.WEIGHT, hidden, inner);
            add(t, WeightNames.Gpt2.mlp(layer, "c_fc.bias"), Init.BIAS, inner);
            add(t, WeightNames.Gpt2.mlp(layer, "c_proj.weight"), Init.WEIGHT, inner, hidden);
            add(t, WeightNames.Gpt2.mlp(layer, "c_proj.bias"), Init.BIAS, hidden);
        }
        add(t, WeightNames.Gpt2.FINAL_NORM + "weight", Init.NORM, hidden);
        add(t, WeightNames.Gpt2.FINAL_NORM + "bias", Init.BIAS, hidden);
    }
}
