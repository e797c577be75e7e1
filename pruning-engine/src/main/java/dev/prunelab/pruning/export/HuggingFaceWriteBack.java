package dev.prunelab.pruning.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.pruning.calibration.OverlayTensors;
import dev.prunelab.pruning.checkpoint.HuggingFaceConfig;
import dev.prunelab.pruning.checkpoint.Llama2cCheckpoint;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SafetensorsFile;
import dev.prunelab.pruning.checkpoint.SafetensorsWriter;
import dev.prunelab.pruning.family.CheckpointTensor;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.HalfFloats;
import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Writes an unstructured or N:M pruned model back as a Hugging Face directory, so it loads wherever its source did.
 * <ul>
 *   <li>A Hugging Face source keeps its layout byte for byte: every safetensors file (one, or the shards with
 *       {@code model.safetensors.index.json}) is copied with the same header (names as stored, dtypes, shapes,
 *       offsets, metadata), and only the pruned tensors' bytes are rewritten, rounded to their stored dtype. A
 *       kept weight that would round to zero in float16/bfloat16 is written as the smallest subnormal of its sign
 *       instead (an error below the rounding's own), so the zeros are exactly the pruned model's.
 *       {@code config.json}, {@code generation_config.json}, the tokenizer files and licence/readme files are
 *       copied; other weight formats in the directory (pytorch_model.bin, original/) are not.</li>
 *   <li>A llama2.c source becomes a Hugging Face Llama directory: {@code config.json} as save_pretrained writes
 *       it (tie_word_embeddings as the file has it), one float32 {@code model.safetensors} with q/k rows in the
 *       rotate-half order (the reader's permutation, as convert_llama_weights_to_hf does), and its
 *       {@code tokenizer.bin} copied as is (the lab reads it there; Hugging Face's tokenizers do not).</li>
 * </ul>
 * A structured result cannot be written back: its widths differ per layer, which no config.json describes; a
 * pruned tensor whose shape differs from the source's is refused saying so.
 */
public final class HuggingFaceWriteBack {
    /** Copied beside the weights when the source has them; plus files named LICENSE*, NOTICE*, README*, USE_POLICY*. */
    static final Set<String> COMPANION_FILES = Set.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "tokenizer.model", "vocab.json",
            "merges.txt", "tokenizer.bin", "chat_template.jinja", "chat_template.json");
    private static final String INDEX = "model.safetensors.index.json";

    private HuggingFaceWriteBack() {
    }

    /**
     * @param files          the files written, sorted
     * @param prunedTensors  tensors whose values came from the pruned weights
     * @param keptFromZero   kept weights that rounded to zero in the stored dtype and were written as its smallest
     *                       subnormal instead
     * @param dtypes         the stored dtypes of the pruned tensors ("BF16", "F32", ...)
     * @param shards         safetensors files written (1 when not sharded)
     */
    public record Result(Path directory, List<String> files, int prunedTensors, long keptFromZero, Set<String> dtypes,
            int shards) {
    }

    /**
     * Opens {@code model} (a Hugging Face directory or a llama2.c file) and writes it to {@code out} with the tensors
     * of {@code prunedWeights} (a safetensors file from {@code --save-pruned-weights}; empty: the source as it is).
     */
    public static Result write(Path model, Optional<Path> tokenizer, Optional<Path> prunedWeights, Path out) {
        try (LoadedModel source = ModelLoader.open(model, tokenizer);
             TensorSource pruned = prunedWeights.isPresent() ? SafetensorsFile.open(prunedWeights.get())
                     : new InMemoryTensors(Path.of("<no pruned weights>"))) {
            return write(source, pruned, out);
        }
    }

    /** Writes {@code source} with the tensors of {@code pruned} replacing its own, into {@code out}. */
    public static Result write(LoadedModel source, TensorSource pruned, Path out) {
        checkSameShapes(source, pruned);
        checkTarget(source.source(), out);
        Path target = out.toAbsolutePath().normalize();
        Path staging = DecoderExporter.stagingDirectory(target.getParent(), target.getFileName());
        try {
            Result written = source.tensors() instanceof Llama2cCheckpoint
                    ? llama2cToLlama(source, pruned, staging)
                    : copyHuggingFace(source, pruned, staging);
            DecoderExporter.replace(staging, target);
            return new Result(out, written.files(), written.prunedTensors(), written.keptFromZero(), written.dtypes(),
                    written.shards());
        } catch (IOException e) {
            DecoderExporter.deleteQuietly(staging);
            throw new UncheckedIOException("writing the Hugging Face directory " + out + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            DecoderExporter.deleteQuietly(staging);
            throw e;
        }
    }

    /** Refuses to write over the source model (before any work, for a caller that prunes first). */
    public static void checkTarget(Path model, Path out) {
        Path source = model.toAbsolutePath().normalize();
        Path target = out.toAbsolutePath().normalize();
        if (target.equals(source) || source.startsWith(target)) {
            throw new IllegalArgumentException(out + " is or holds the source model " + model
                    + "; write the pruned model elsewhere");
        }
    }

    /** Every pruned tensor must be one of the source's, with its shape: a structured cut is refused here. */
    private static void checkSameShapes(LoadedModel source, TensorSource pruned) {
        for (String name : pruned.names()) {
            if (!source.tensors().contains(name)) {
                throw new IllegalArgumentException("pruned tensor '" + name + "' is not in " + source.source()
                        + ": the pruned weights belong to another model");
            }
            long[] sourceShape = source.tensors().info(name).shape();
            long[] prunedShape = pruned.info(name).shape();
            if (!Arrays.equals(sourceShape, prunedShape)) {
                throw new IllegalArgumentException("pruned tensor '" + name + "' is " + Arrays.toString(prunedShape)
                        + " where " + source.source() + " has " + Arrays.toString(sourceShape) + ": a structured "
                        + "result (widths differ per layer) can only be exported to ONNX");
            }
        }
    }

    /** The source's files copied, the pruned tensors' bytes rewritten in place (same header, same offsets). */
    private static Result copyHuggingFace(LoadedModel source, TensorSource pruned, Path staging) throws IOException {
        Path directory = source.source();
        copyCompanions(directory, staging);
        List<Path> weightFiles = source.weightFiles();
        if (!Files.isRegularFile(directory.resolve("model.safetensors"))) {
            Files.copy(directory.resolve(INDEX), staging.resolve(INDEX));
            weightFiles = shardsOfIndex(directory.resolve(INDEX));
        }
        // the family's stored names and layout (Phi-3 fuses q/k/v and gate/up again); the tensors to rewrite are
        // the pruned ones stored as they are and the stored ones the lab presents differently (fused)
        TensorSource stored = ModelFamilies.of(source.config()).toCheckpoint(source.config(),
                new OverlayTensors(source.tensors(), pruned));
        Set<String> remaining = new TreeSet<>();
        for (String name : stored.names()) {
            if (pruned.contains(name) || !source.tensors().contains(name)) {
                remaining.add(name);
            }
        }
        Set<String> dtypes = new TreeSet<>();
        long keptFromZero = 0;
        for (Path file : weightFiles) {
            Path copy = staging.resolve(file.getFileName().toString());
            Files.copy(file, copy);
            try (SafetensorsFile shard = SafetensorsFile.open(file);
                 FileChannel channel = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                for (String name : shard.names()) {
                    if (!remaining.remove(name)) {
                        continue;
                    }
                    TensorInfo info = shard.info(name);
                    if (!Arrays.equals(info.shape(), stored.info(name).shape())) {
                        throw new IllegalArgumentException("pruned tensor '" + name + "' is "
                                + Arrays.toString(stored.info(name).shape()) + " where " + file + " holds "
                                + Arrays.toString(info.shape()) + ": a structured result (widths differ per layer) "
                                + "can only be exported to ONNX");
                    }
                    dtypes.add(info.dtype().safetensorsName());
                    keptFromZero += writeValues(channel, shard.dataOffset(name), info, stored.readFloats(name), file);
                }
            }
        }
        if (!remaining.isEmpty()) {
            // the index placed them in no weight file this directory holds
            throw new IllegalArgumentException(directory + ": tensors " + remaining + " to write are in none of its "
                    + "weight files");
        }
        return new Result(staging, listFiles(staging), pruned.names().size(), keptFromZero, dtypes,
                weightFiles.size());
    }

    /** Every shard the index names, in its order, also one holding only buffers the reader skips. */
    private static List<Path> shardsOfIndex(Path index) throws IOException {
        Set<String> names = new LinkedHashSet<>();
        new ObjectMapper().readTree(index.toFile()).path("weight_map").forEach(shard -> names.add(shard.asText()));
        return names.stream().map(name -> index.resolveSibling(name)).toList();
    }

    private static void copyCompanions(Path directory, Path staging) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            for (Path file : (Iterable<Path>) entries::iterator) {
                String name = file.getFileName().toString();
                boolean legal = Stream.of("LICENSE", "NOTICE", "README", "USE_POLICY").anyMatch(name::startsWith);
                if (Files.isRegularFile(file) && (COMPANION_FILES.contains(name) || legal)) {
                    Files.copy(file, staging.resolve(name));
                }
            }
        }
    }

    /**
     * Writes {@code values} over a stored tensor at {@code offset}, narrowed to its dtype.
     *
     * @return how many non-zero values rounded to zero and were written as the smallest subnormal instead
     */
    static long writeValues(FileChannel channel, long offset, TensorInfo info, float[] values, Path file)
            throws IOException {
        int width = info.dtype().sizeBytes();
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        long position = offset;
        long keptFromZero = 0;
        for (int i = 0; i < values.length; i++) {
            float value = values[i];
            switch (info.dtype()) {
                case F32 -> buffer.putFloat(value);
                case F16, BF16 -> {
                    boolean f16 = info.dtype() == DType.F16;
                    short narrowed = f16 ? HalfFloats.floatToF16(value) : HalfFloats.floatToBf16(value);
                    int magnitude = narrowed & 0x7fff;
                    if (magnitude == (f16 ? 0x7c00 : 0x7f80) && Float.isFinite(value)) {
                        throw new IllegalArgumentException(file + ": tensor '" + info.name() + "': pruned value "
                                + value + " at flat index " + i + " overflows " + info.dtype());
                    }
                    if (magnitude == 0 && value != 0f) {
                        narrowed = (short) ((narrowed & 0x8000) | 1);   // keep a kept weight non-zero
                        keptFromZero++;
                    }
                    buffer.putShort(narrowed);
                }
            }
            if (buffer.remaining() < width || i == values.length - 1) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    position += channel.write(buffer, position);
                }
                buffer.clear();
            }
        }
        return keptFromZero;
    }

    /** llama2.c to a Hugging Face Llama directory: config.json, one float32 model.safetensors, tokenizer.bin. */
    private static Result llama2cToLlama(LoadedModel source, TensorSource pruned, Path staging) throws IOException {
        new HuggingFaceConfig(source.config(), source.bosTokenId(), source.eosTokenId())
                .write(staging.resolve("config.json"), DType.F32);
        TensorSource weights = new OverlayTensors(source.tensors(), pruned);
        List<CheckpointTensor> layout = ModelFamilies.of(source.config()).checkpointLayout(source.config());
        Set<String> laidOut = new HashSet<>();
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (CheckpointTensor tensor : layout) {
            laidOut.add(tensor.name());
            entries.add(new SafetensorsWriter.Entry(tensor.name(), DType.F32, weights.info(tensor.name()).shape()));
        }
        if (!laidOut.equals(source.tensors().names())) {
            throw new IllegalStateException(source.source() + ": the Llama layout " + new TreeSet<>(laidOut)
                    + " differs from the checkpoint's tensors " + source.tensors().names());
        }
        try (SafetensorsWriter writer = SafetensorsWriter.create(staging.resolve("model.safetensors"), entries,
                SafetensorsWriter.PT_METADATA)) {
            for (CheckpointTensor tensor : layout) {
                writer.write(tensor.name(), weights.readFloats(tensor.name()));
            }
        }
        if (source.tokenizerPath().isPresent() && Files.isRegularFile(source.tokenizerPath().get())
                && source.tokenizerPath().get().getFileName().toString().endsWith(".bin")) {
            Files.copy(source.tokenizerPath().get(), staging.resolve("tokenizer.bin"));
        }
        return new Result(staging, listFiles(staging), pruned.names().size(), 0,
                pruned.names().isEmpty() ? Set.of() : Set.of(DType.F32.safetensorsName()), 1);
    }

    private static List<String> listFiles(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
