package dev.prunelab.pruning.checkpoint;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.pruning.family.CheckpointTensor;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.DecoderConfig;
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

    /** Told the bytes of tensor data written so far, chunk by chunk, and the checkpoint's total. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (writtenBytes, totalBytes) -> { };

        void written(long writtenBytes, long totalBytes);
    }

    /** Writes {@code preset} into {@code directory} (created if needed), sharding at 2 GB. */
    public static void write(Path directory, SynthesisPreset preset, DType dtype, long seed) {
        write(directory, preset, dtype, seed, Progress.NONE);
    }

    /** {@link #write(Path, SynthesisPreset, DType, long)} telling {@code progress} as the bytes go out. */
    public static void write(Path directory, SynthesisPreset preset, DType dtype, long seed, Progress progress) {
        write(directory, preset.config(), dtype, seed, DEFAULT_MAX_SHARD_BYTES, progress);
    }

    /**
     * @param maxShardBytes a checkpoint larger than this is split into shards of at most this size (a single
     *                      tensor larger than it gets a shard of its own)
     */
    public static void write(Path directory, HuggingFaceConfig config, DType dtype, long seed, long maxShardBytes) {
        write(directory, config, dtype, seed, maxShardBytes, Progress.NONE);
    }

    /** {@link #write(Path, HuggingFaceConfig, DType, long, long)} sharding at 2 GB, telling {@code progress}. */
    public static void write(Path directory, HuggingFaceConfig config, DType dtype, long seed, Progress progress) {
        write(directory, config, dtype, seed, DEFAULT_MAX_SHARD_BYTES, progress);
    }

    private static void write(Path directory, HuggingFaceConfig config, DType dtype, long seed, long maxShardBytes,
            Progress progress) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive, was " + maxShardBytes);
        }
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(directory + ": cannot create: " + e.getMessage(), e);
        }
        config.write(directory.resolve("config.json"), dtype);
        List<CheckpointTensor> tensors = layout(config.config());
        List<List<CheckpointTensor>> shards = new ArrayList<>();
        long shardBytes = 0;
        long totalBytes = 0;
        for (CheckpointTensor tensor : tensors) {
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
        Written written = new Written(totalBytes, progress);
        if (shards.size() == 1) {
            writeShard(directory.resolve("model.safetensors"), shards.get(0), dtype, random, written);
            return;
        }
        ObjectNode index = Json.MAPPER.createObjectNode();
        index.putObject("metadata").put("total_size", totalBytes);
        ObjectNode weightMap = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String shardName = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            writeShard(directory.resolve(shardName), shards.get(i), dtype, random, written);
            for (CheckpointTensor tensor : shards.get(i)) {
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

    private static SafetensorsWriter.Entry entry(CheckpointTensor tensor, DType dtype) {
        return new SafetensorsWriter.Entry(tensor.name(), dtype, tensor.shape());
    }

    /** The running count of tensor bytes written, passed on to the caller's progress. */
    private static final class Written {
        private final long totalBytes;
        private final Progress progress;
        private long bytes;

        Written(long totalBytes, Progress progress) {
            this.totalBytes = totalBytes;
            this.progress = progress;
        }

        void add(long moreBytes) {
            bytes += moreBytes;
            progress.written(bytes, totalBytes);
        }
    }

    private static void writeShard(Path file, List<CheckpointTensor> tensors, DType dtype, SplittableRandom random,
            Written written) {
        List<SafetensorsWriter.Entry> entries = tensors.stream().map(t -> entry(t, dtype)).toList();
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, entries, SafetensorsWriter.PT_METADATA)) {
            for (CheckpointTensor tensor : tensors) {
                double mean = tensor.init() == CheckpointTensor.Init.NORM ? 1.0 : 0.0;
                double std = tensor.init() == CheckpointTensor.Init.NORM ? 0.1 : 0.02;
                writer.write(tensor.name(), (first, buffer, length) -> {
                    for (int i = 0; i < length; i++) {
                        buffer[i] = (float) (mean + std * random.nextGaussian());
                    }
                    written.add((long) length * dtype.sizeBytes());
                });
            }
        }
    }

    /** Every tensor of the family's Hugging Face checkpoint, in the order Hugging Face's modules declare them. */
    public static List<CheckpointTensor> layout(DecoderConfig config) {
        return ModelFamilies.of(config).checkpointLayout(config);
    }
}
