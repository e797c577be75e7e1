package dev.prunelab.pruning.export;

import ai.onnx.proto.OnnxMl;
import dev.prunelab.modelformat.CacheInterface;
import dev.prunelab.modelformat.CompressedWeights;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.graph.DecoderGraph;
import dev.prunelab.pruning.graph.GraphBuilder;
import dev.prunelab.pruning.graph.InitializerStore;
import dev.prunelab.pruning.graph.WeightFormat;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.WeightDtype;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Exports a decoder to one ONNX graph that serves both prefill and cached decode (see {@link DecoderIo}),
 * with the tokenizer files and a {@link ModelCard} beside it. The directory is written under a temporary
 * name and moved into place when complete, so an interrupted export never leaves a half-written model and an
 * earlier export at the same path survives a failed one.
 */
public final class DecoderExporter {
    /** The in-place decoder's opset (the default); the growing-cache export imports {@link CacheInterface#opset()}. */
    public static final int OPSET = GraphBuilder.OPSET;

    private DecoderExporter() {
    }

    /**
     * @param modelBytes          bytes of the export directory on disk (graph, weights, tokenizer, card)
     * @param weightStorage       {@link ModelCard#STORAGE_INLINE}, {@link ModelCard#STORAGE_EXTERNAL} or
     *                            {@link ModelCard#STORAGE_EXTERNAL_SPARSE}
     * @param expandedWeightBytes size of model.onnx.data as ONNX Runtime reads it (0 when weights are inline)
     */
    public record Result(Path directory, long parameterCount, long modelBytes, boolean externalData, double seconds,
            String weightStorage, long expandedWeightBytes) {
    }

    /** Opens a checkpoint (a llama2.c file or a Hugging Face directory) and exports it as it is. */
    public static Result export(Path checkpoint, Optional<Path> tokenizer, Path outputDirectory, WeightDtype dtype) {
        try (LoadedModel model = ModelLoader.open(checkpoint, tokenizer)) {
            return export(model, outputDirectory, dtype);
        }
    }

    public static Result export(LoadedModel model, Path outputDirectory, WeightDtype dtype) {
        return export(model, model.tensors(), outputDirectory, dtype);
    }

    public static Result export(LoadedModel model, TensorSource weights, Path outputDirectory, WeightDtype dtype) {
        return export(model, weights, outputDirectory, dtype, staging -> { });
    }

    /**
     * @param beforePublish writes companion files (a prune report) into the staging directory, so they
     *                      appear together with the model
     */
    public static Result export(LoadedModel model, TensorSource weights, Path outputDirectory, WeightDtype dtype,
            Consumer<Path> beforePublish) {
        return export(model, weights, outputDirectory, dtype, beforePublish, WeightFormat.EXTERNAL_DATA_THRESHOLD_BYTES);
    }

    /** @param externalDataThresholdBytes weights larger than this go to model.onnx.data (tests lower it) */
    static Result export(LoadedModel model, TensorSource weights, Path outputDirectory, WeightDtype dtype,
            Consumer<Path> beforePublish, long externalDataThresholdBytes) {
        return export(model, weights, outputDirectory, dtype, false, beforePublish, externalDataThresholdBytes);
    }

    /**
     * @param compressWeights store every weight in {@code model.onnx.data.sparse} with zeros skipped (one bit
     *                        each), see {@link CompressedWeights}; the evaluator expands it before ONNX Runtime
     *                        loads the model, which then holds the weights dense as always
     */
    public static Result export(LoadedModel model, TensorSource weights, Path outputDirectory, WeightDtype dtype,
            boolean compressWeights, Consumer<Path> beforePublish) {
        return export(model, weights, outputDirectory, dtype, compressWeights, beforePublish,
                WeightFormat.EXTERNAL_DATA_THRESHOLD_BYTES);
    }

    private static Result export(LoadedModel model, TensorSource weights, Path outputDirectory, WeightDtype dtype,
            boolean compressWeights, Consumer<Path> beforePublish, long externalDataThresholdBytes) {
        return export(model, weights, outputDirectory, dtype, compressWeights, LinearQuantization.FLOAT, beforePublish,
                externalDataThresholdBytes);
    }

    /**
     * @param quantization how the decoder blocks' linear modules are stored: float (the dtype's MatMul) or
     *                     {@code com.microsoft.MatMulNBits} int4 blocks; embeddings, norms and the head stay float
     */
    public static Result export(LoadedModel model, TensorSource weights, Path outputDirectory, WeightDtype dtype,
            boolean compressWeights, LinearQuantization quantization, Consumer<Path> beforePublish) {
        return export(model, weights, outputDirectory, dtype, compressWeights, quantization, CacheInterface.IN_PLACE,
                beforePublish);
    }

    /**
     * @param cache the graph's KV-cache contract: in place (what the lab evaluates) or growing (opset 17, the
     *              standard interface for other runtimes; float weights only)
     */
    public static Result export(LoadedModel model, TensorSource weights, Path outputDirectory, WeightDtype dtype,
            boolean compressWeights, LinearQuantization quantization, CacheInterface cache,
            Consumer<Path> beforePublish) {
        return export(model, weights, outputDirectory, dtype, compressWeights, quantization, cache, beforePublish,
                WeightFormat.EXTERNAL_DATA_THRESHOLD_BYTES);
    }

    static Result export(LoadedModel model, TensorSource weights, Path outputDirectory, WeightDtype dtype,
            boolean compressWeights, LinearQuantization quantization, Consumer<Path> beforePublish,
            long externalDataThresholdBytes) {
        return export(model, weights, outputDirectory, dtype, compressWeights, quantization, CacheInterface.IN_PLACE,
                beforePublish, externalDataThresholdBytes);
    }

    static Result export(LoadedModel model, TensorSource weights, Path outputDirectory, WeightDtype dtype,
            boolean compressWeights, LinearQuantization quantization, CacheInterface cache,
            Consumer<Path> beforePublish, long externalDataThresholdBytes) {
        if (compressWeights && quantization.quantized()) {
            // the sparse store skips zero floats; packed int4 codes have no float zeros to skip
            throw new InvalidSetting("compressWeights", "cannot be combined with weightBits " + quantization.bits());
        }
        if (cache == CacheInterface.GROWING && quantization.quantized()) {
            // MatMulNBits is ONNX Runtime's own operator: a graph for other runtimes cannot carry it
            throw new InvalidSetting("weightBits", quantization.bits() + " is written as ONNX Runtime's MatMulNBits; "
                    + "the growing-cache interface (opset " + cache.opset() + ", for other runtimes) takes float weights");
        }
        long startNanos = System.nanoTime();
        DecoderConfig config = model.config();
        long parameterCount = countParameters(weights);
        WeightFormat format = WeightFormat.choose(dtype, parameterCount,
                compressWeights ? 0 : externalDataThresholdBytes);
        Path staging = stagingDirectory(outputDirectory.toAbsolutePath().getParent(), outputDirectory.getFileName());
        try {
            long exportedParameters;
            long nonZeroParameters;
            try (InitializerStore store = new InitializerStore(format, staging.resolve(DecoderIo.EXTERNAL_DATA_FILE))) {
                OnnxMl.GraphProto graph = buildGraph(config, weights, store, quantization, cache);
                exportedParameters = store.parameterCount();
                nonZeroParameters = store.nonZeroCount();
                OnnxMl.ModelProto onnx = OnnxMl.ModelProto.newBuilder()
                        .setIrVersion(cache.irVersion())
                        .setProducerName("prune-lab")
                        .setProducerVersion("0.1.0")
                        .setDomain("dev.prunelab")
                        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(cache.opset()))
                        .addAllOpsetImport(quantization.quantized() ? List.of(OnnxMl.OperatorSetIdProto.newBuilder()
                                .setDomain(GraphBuilder.CONTRIB_DOMAIN).setVersion(1).build()) : List.of())
                        .setGraph(graph)
                        .build();
                try (OutputStream out = new BufferedOutputStream(
                        Files.newOutputStream(staging.resolve(DecoderIo.MODEL_FILE)), 1 << 20)) {
                    onnx.writeTo(out);
                }
            }
            long expandedWeightBytes = format.external()
                    ? Files.size(staging.resolve(DecoderIo.EXTERNAL_DATA_FILE)) : 0;
            String storage = !format.external() ? ModelCard.STORAGE_INLINE : ModelCard.STORAGE_EXTERNAL;
            if (compressWeights) {
                CompressedWeights.compress(staging.resolve(DecoderIo.EXTERNAL_DATA_FILE),
                        staging.resolve(DecoderIo.COMPRESSED_DATA_FILE), format.float16() ? 2 : 4);
                storage = ModelCard.STORAGE_EXTERNAL_SPARSE;
            }
            TokenizerFiles tokenizer = TokenizerFiles.copy(model.tokenizerPath(), staging);
            card(model, exportedParameters, nonZeroParameters, dtype, tokenizer, storage, expandedWeightBytes,
                    quantization, cache).write(staging);
            long modelBytes = directorySize(staging);
            beforePublish.accept(staging);
            replace(staging, outputDirectory.toAbsolutePath());
            return new Result(outputDirectory, exportedParameters, modelBytes, format.external(),
                    (System.nanoTime() - startNanos) / 1e9, storage, expandedWeightBytes);
        } catch (IOException e) {
            deleteQuietly(staging);
            throw new UncheckedIOException("export to " + outputDirectory + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(staging);
            throw e;
        }
    }

    /** The full decoder: embeddings, every layer with its KV cache, the head. */
    static OnnxMl.GraphProto buildGraph(DecoderConfig config, TensorSource weights, InitializerStore store) {
        return buildGraph(config, weights, store, LinearQuantization.FLOAT);
    }

    /** The full decoder with the blocks' linear modules (the ones pruning touches) stored as {@code quantization}. */
    static OnnxMl.GraphProto buildGraph(DecoderConfig config, TensorSource weights, InitializerStore store,
            LinearQuantization quantization) {
        return buildGraph(config, weights, store, quantization, CacheInterface.IN_PLACE);
    }

    static OnnxMl.GraphProto buildGraph(DecoderConfig config, TensorSource weights, InitializerStore store,
            LinearQuantization quantization, CacheInterface cache) {
        GraphBuilder g = new GraphBuilder("decoder", store, cache.opset());
        int[] allLayers = IntStream.range(0, config.numLayers()).toArray();
        DecoderGraph decoder = new DecoderGraph(g, weights, ModelFamilies.of(config).kvHeadsPerLayer(config, weights),
                config.headDim(), allLayers, 0, cache);
        FamilyGraphs family = ModelFamilies.of(config).graphs(config);
        Set<String> blockLinears = new HashSet<>();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            blockLinears.addAll(family.linearInputs(layer).keySet());
        }
        decoder.quantize(blockLinears, quantization);
        String x = family.embed(decoder);
        FamilyGraphs.Taps unused = new FamilyGraphs.Taps();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            x = family.layer(decoder, layer, x, unused);
        }
        family.head(decoder, x);
        return g.build();
    }

    private static ModelCard card(LoadedModel model, long parameterCount, long nonZeroParameters, WeightDtype dtype,
            TokenizerFiles tokenizer, String weightStorage, long expandedWeightBytes, LinearQuantization quantization,
            CacheInterface cache) throws IOException {
        DecoderConfig c = model.config();
        List<String> files = new ArrayList<>();
        for (Path file : model.weightFiles()) {
            files.add(file.toAbsolutePath().toString());
        }
        return new ModelCard(ModelCard.SCHEMA_VERSION, ModelFamilies.of(c).id(), c.modelType(), c.vocabSize(), c.hiddenSize(),
                c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(), c.contextLength(), parameterCount, nonZeroParameters,
                dtype.onnxName(), weightStorage, expandedWeightBytes, tokenizer == null ? null : tokenizer.file(), tokenizer == null ? null : tokenizer.kind(),
                model.bosTokenId(), model.eosTokenId(), model.source().toAbsolutePath().toString(), files,
                sha256(model.weightFiles()), !quantization.quantized() ? null : new ModelCard.LinearQuantization(
                        "com.microsoft.MatMulNBits", quantization.bits(), quantization.blockSize(),
                        quantization.quantizer().symmetric(), dtype == WeightDtype.FLOAT16 ? "float16" : "float32",
                        quantization.accuracyLevel(), quantization.quantizer().rounding(),
                        quantization.floatModules().isEmpty() ? null
                                : new java.util.TreeSet<>(quantization.floatModules()).stream().toList()),
                cache.id(), model.bosRule());
    }

    /**
     * A staging directory beside the output, {@code .name.partial-*} in {@code parent}, renamed into place when the
     * output is complete. Temp directories are private (700); an export is shared with evaluators, possibly other
     * users, so it is made world-readable.
     */
    static Path stagingDirectory(Path parent, Path name) {
        try {
            Files.createDirectories(parent);
            Path staging = Files.createTempDirectory(parent, "." + name + ".partial-");
            Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
            return staging;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging directory in " + parent, e);
        }
    }

    static long countParameters(TensorSource weights) {
        long count = 0;
        for (String name : weights.names()) {
            count += weights.info(name).elementCount();
        }
        return count;
    }

    /** sha256 over the weight files in order, streamed. */
    public static String sha256(List<Path> files) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[1 << 20];
        for (Path file : files) {
            try (InputStream in = Files.newInputStream(file)) {
                int read;
                while ((read = in.read(buffer)) > 0) {
                    digest.update(buffer, 0, read);
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static long directorySize(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            long total = 0;
            for (Path file : (Iterable<Path>) files::iterator) {
                total += Files.isRegularFile(file) ? Files.size(file) : 0;
            }
            return total;
        }
    }

    /** Moves the finished staging directory into place; an earlier export there is removed only after. */
    static void replace(Path staging, Path target) throws IOException {
        Path previous = null;
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) {
                throw new IOException(target + " exists and is not a directory");
            }
            previous = target.resolveSibling("." + target.getFileName() + ".previous-" + ProcessHandle.current().pid());
            Files.move(target, previous, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        if (previous != null) {
            deleteQuietly(previous);
        }
    }

    static void deleteQuietly(Path directory) {
        if (directory == null || !Files.exists(directory)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a leftover staging directory is harmless and named as such
        }
    }
}
