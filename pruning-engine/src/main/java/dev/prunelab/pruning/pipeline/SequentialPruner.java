package dev.prunelab.pruning.pipeline;

import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.measure.ProcessMemory;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.checkpoint.SafetensorsFile;
import dev.prunelab.pruning.checkpoint.SafetensorsWriter;
import dev.prunelab.pruning.export.CalibrationGraphs;
import dev.prunelab.pruning.export.DecoderExporter;
import dev.prunelab.pruning.export.FamilyGraphs;
import dev.prunelab.pruning.export.Matrices;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.InMemoryTensors;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.prune.InputStatistics;
import dev.prunelab.pruning.prune.OwlAllocation;
import dev.prunelab.pruning.prune.PruneResult;
import dev.prunelab.pruning.prune.SparseGpt;
import dev.prunelab.pruning.prune.SparsityPattern;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One-shot pruning of every linear module of every decoder block, sequentially as the reference
 * implementations do: block l is calibrated on the outputs of blocks 0..l-1 after they were pruned.
 * <pre>
 * windows --embedding graph--> X_0
 * for each block l:  X_l --dense block graph--> taps --InputStatistics per tap
 *                    prune each linear (its tap's statistics)  --> spill file (block by block)
 *                    X_l --pruned block graph--> X_{l+1}
 * export(model overlaid with the spill file)
 * </pre>
 * Only one block's weights, its statistics and the calibration activations are in memory at a time; the
 * pruned weights stream to a safetensors spill file next to the output, removed after the export.
 */
public final class SequentialPruner {
    /** OWL's outlier threshold M (scores above M x the layer mean) and spread lambda, as in Yin et al. 2023. */
    static final double OWL_THRESHOLD = 5.0;
    static final double OWL_LAMBDA = 0.08;

    private SequentialPruner() {
    }

    /** Calibration windows for a run; empty when the request needs none. */
    public interface WindowSource {
        List<int[]> windows(int windowTokens);
    }

    public static PruneReport prune(LoadedModel model, PruneRequest request, WindowSource windowSource, Path out) {
        return prune(model, request, windowSource, out, ProgressListener.NONE);
    }

    /** {@link #prune(LoadedModel, PruneRequest, WindowSource, Path)} telling {@code listener} each stage and block. */
    public static PruneReport prune(LoadedModel model, PruneRequest request, WindowSource windowSource, Path out,
            ProgressListener listener) {
        long startNanos = System.nanoTime();
        DecoderConfig config = model.config();
        FamilyGraphs family = FamilyGraphs.of(config);
        TensorSource weights = model.tensors();
        checkPatternFits(config, family, weights, request.pattern());

        Map<String, Double> seconds = new LinkedHashMap<>();
        int window = request.calibration() == null || request.calibration().window() == 0
                ? Math.min(config.contextLength(), 2048) : request.calibration().window();
        if (window > config.contextLength()) {
            throw new IllegalArgumentException("--window " + window + " exceeds the model's context length "
                    + config.contextLength());
        }
        List<int[]> windows = request.needsCalibration() ? windowSource.windows(window) : List.of();
        double[] allocation = new double[config.numLayers()];
        java.util.Arrays.fill(allocation, request.pattern().sparsity());

        Timer timer = new Timer(seconds);
        int width = CalibrationGraphs.hiddenWidth(config);
        if (request.layerSparsity() == LayerSparsity.OWL) {
            listener.progress(RunStage.CALIBRATE, 0, config.numLayers());
            List<float[]> hidden = new ArrayList<>(timer.time("calibration_forward", () -> embed(config, weights, windows, request)));
            double[] outlierRatios = new double[config.numLayers()];
            for (int layer = 0; layer < config.numLayers(); layer++) {
                int current = layer;
                Map<FamilyGraphs.Tap, InputStatistics> stats = collect(config, weights, layer, hidden, window, width,
                        false, request, timer, true);
                outlierRatios[layer] = timer.time("pruning_math",
                        () -> layerOutlierRatio(family, weights, current, stats));
                listener.progress(RunStage.CALIBRATE, layer + 1, config.numLayers());
            }
            allocation = OwlAllocation.allocate(outlierRatios, request.pattern().sparsity(), OWL_LAMBDA);
        }

        Path spill = out.toAbsolutePath().resolveSibling("." + out.getFileName() + ".pruned-weights.safetensors");
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (String module : family.linearInputs(layer).keySet()) {
                TensorInfo info = weights.info(module + ".weight");
                entries.add(new SafetensorsWriter.Entry(info.name(), DType.F32, info.shape()));
            }
        }
        List<PruneReport.MatrixSparsity> matrices = new ArrayList<>();
        long zeros = 0;
        long pruned = 0;
        listener.progress(RunStage.PRUNE, 0, config.numLayers());
        try {
            List<float[]> hidden = windows.isEmpty() ? List.of()
                    : timer.time("calibration_forward", () -> embed(config, weights, windows, request));
            try (SafetensorsWriter writer = SafetensorsWriter.create(spill, entries, SafetensorsWriter.PT_METADATA)) {
                for (int layer = 0; layer < config.numLayers(); layer++) {
                    Map<FamilyGraphs.Tap, InputStatistics> stats = windows.isEmpty() ? Map.of()
                            : collect(config, weights, layer, hidden, window, width,
                                    request.method() instanceof SparseGpt, request, timer, false);
                    SparsityPattern layerPattern = request.layerSparsity() == LayerSparsity.OWL
                            ? new SparsityPattern.Unstructured(allocation[layer]) : request.pattern();
                    InMemoryTensors block = new InMemoryTensors(Path.of("<pruned block " + layer + " in memory>"));
                    for (Map.Entry<String, FamilyGraphs.Tap> linear : family.linearInputs(layer).entrySet()) {
                        String name = linear.getKey() + ".weight";
                        TensorInfo info = weights.info(name);
                        float[] weight = weights.readFloats(name);
                        InputStatistics statistics = stats.get(linear.getValue());
                        PruneResult result = timer.time("pruning_math",
                                () -> pruneMatrix(request, family, weight, info, statistics, layerPattern));
                        writer.write(name, weight);
                        block.put(name, weight, info.shape());
                        matrices.add(new PruneReport.MatrixSparsity(name, info.shape(), layerPattern.sparsity(),
                                result.achievedSparsity(), result.zeros()));
                        zeros += result.zeros();
                        pruned += result.total();
                    }
                    if (!windows.isEmpty() && layer + 1 < config.numLayers()) {
                        int current = layer;
                        List<float[]> inputs = hidden;
                        hidden = timer.time("calibration_forward", () -> forward(config,
                                new OverlayTensors(weights, block), current, inputs, window, width, request));
                    }
                    listener.progress(RunStage.PRUNE, layer + 1, config.numLayers());
                }
            }
            long prunedZeros = zeros;
            long prunedTotal = pruned;
            double[] layerAllocation = allocation;
            long totalParameters = 0;
            for (String name : weights.names()) {
                totalParameters += weights.info(name).elementCount();
            }
            long parameters = totalParameters;
            try (SafetensorsFile prunedWeights = SafetensorsFile.open(spill)) {
                OverlayTensors overlay = new OverlayTensors(weights, prunedWeights);
                PruneReport[] report = new PruneReport[1];
                long exportStart = System.nanoTime();
                listener.progress(RunStage.EXPORT, 0, 1);
                DecoderExporter.export(model, overlay, out, request.dtype(),
                        request.compressWeights(), staging -> {
                    // the report is written inside the export, before its time is added up: record it here
                    seconds.put("export", (System.nanoTime() - exportStart) / 1e9);
                    seconds.put("total", (System.nanoTime() - startNanos) / 1e9);
                    report[0] = new PruneReport(PruneReport.SCHEMA_VERSION, model.source().toAbsolutePath().toString(),
                            config.family().id(), PruneRequest.methodName(request.method()),
                            request.pattern().toString(), request.pattern().sparsity(),
                            (double) prunedZeros / prunedTotal, prunedTotal, prunedZeros, parameters,
                            request.layerSparsity().name().toLowerCase(java.util.Locale.ROOT), layerAllocation,
                            summary(request, windows, window), matrices, seconds, ProcessMemory.peakRssBytes(),
                            storage(staging), out.toAbsolutePath().toString());
                    Reports.write(report[0], staging.resolve(PruneReport.FILE_NAME));
                });
                seconds.put("export", (System.nanoTime() - exportStart) / 1e9);
                seconds.put("total", (System.nanoTime() - startNanos) / 1e9);
                listener.progress(RunStage.EXPORT, 1, 1);
                return report[0];
            }
        } finally {
            try {
                Files.deleteIfExists(spill);
            } catch (IOException ignored) {
                // a leftover hidden spill file is harmless and named after the output
            }
        }
    }

    private static PruneReport.Storage storage(Path exportDirectory) {
        ModelCard card = ModelCard.read(exportDirectory);
        long bytes = 0;
        try (var files = Files.list(exportDirectory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                bytes += Files.size(file);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot measure " + exportDirectory, e);
        }
        return new PruneReport.Storage(card.weightStorage(), bytes, card.expandedWeightBytes(),
                PruneReport.Storage.NOTE);
    }

    private static PruneReport.CalibrationSummary summary(PruneRequest request, List<int[]> windows, int window) {
        if (windows.isEmpty()) {
            return null;
        }
        PruneRequest.Calibration c = request.calibration();
        return new PruneReport.CalibrationSummary(c.text().toAbsolutePath().toString(), windows.size(), window,
                c.seed(), (long) windows.size() * window);
    }

    /** Prunes one matrix in place, in the [out, in] orientation the methods expect. */
    static PruneResult pruneMatrix(PruneRequest request, FamilyGraphs family, float[] weight, TensorInfo info,
            InputStatistics stats, SparsityPattern pattern) {
        int rows = (int) info.dimension(0);
        int cols = (int) info.dimension(1);
        if (!family.weightsStoredInputMajor()) {
            return request.method().prune(weight, rows, cols, stats, pattern);
        }
        float[] outMajor = Matrices.transpose(weight, rows, cols);          // Conv1D [in, out] -> [out, in]
        PruneResult result = request.method().prune(outMajor, cols, rows, stats, pattern);
        System.arraycopy(Matrices.transpose(outMajor, cols, rows), 0, weight, 0, weight.length);
        return result;
    }

    /** Every pruned matrix's input width must take the pattern (N:M groups run along the input). */
    static void checkPatternFits(DecoderConfig config, FamilyGraphs family, TensorSource weights,
            SparsityPattern pattern) {
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (String module : family.linearInputs(layer).keySet()) {
                TensorInfo info = weights.info(module + ".weight");
                int in = (int) (family.weightsStoredInputMajor() ? info.dimension(0) : info.dimension(1));
                try {
                    pattern.checkColumns(in);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(module + ": " + e.getMessage(), e);
                }
            }
        }
    }

    private static List<float[]> embed(DecoderConfig config, TensorSource weights, List<int[]> windows,
            PruneRequest request) {
        EmbeddingRows rows = new EmbeddingRows(weights, FamilyGraphs.of(config).embeddingName(), windows);
        List<float[]> hidden = new ArrayList<>(windows.size());
        try (GraphSession session = new GraphSession(CalibrationGraphs.embedding(config, rows), request.threads(),
                -1, 0, config.headDim())) {
            for (int[] tokens : windows) {
                hidden.add(session.runTokens(rows.reindex(tokens), Set.of(CalibrationGraphs.HIDDEN_OUTPUT))
                        .get(CalibrationGraphs.HIDDEN_OUTPUT));
            }
        }
        return hidden;
    }

    /** Runs the dense block on every window and accumulates the statistics of each tap. */
    private static Map<FamilyGraphs.Tap, InputStatistics> collect(DecoderConfig config, TensorSource weights, int layer,
            List<float[]> hidden, int window, int width, boolean withHessian, PruneRequest request, Timer timer,
            boolean advance) {
        Map<FamilyGraphs.Tap, InputStatistics> stats = new EnumMap<>(FamilyGraphs.Tap.class);
        Set<String> outputs = new HashSet<>();
        for (FamilyGraphs.Tap tap : FamilyGraphs.Tap.values()) {
            outputs.add(tap.outputName());
        }
        if (advance) {
            outputs.add(CalibrationGraphs.HIDDEN_OUTPUT);
        }
        try (GraphSession session = timer.time("calibration_forward",
                () -> blockSession(config, weights, layer, width, request))) {
            for (int i = 0; i < hidden.size(); i++) {
                float[] input = hidden.get(i);
                Map<String, float[]> values = timer.time("calibration_forward",
                        () -> session.runHidden(input, window, width, outputs));
                for (FamilyGraphs.Tap tap : FamilyGraphs.Tap.values()) {
                    float[] x = values.get(tap.outputName());
                    int in = x.length / window;
                    timer.time("statistics", () -> {
                        stats.computeIfAbsent(tap, t -> new InputStatistics(in, withHessian)).accept(x, window, in);
                        return null;
                    });
                }
                if (advance) {
                    hidden.set(i, values.get(CalibrationGraphs.HIDDEN_OUTPUT));
                }
            }
        }
        return stats;
    }

    private static List<float[]> forward(DecoderConfig config, TensorSource weights, int layer, List<float[]> hidden,
            int window, int width, PruneRequest request) {
        List<float[]> next = new ArrayList<>(hidden.size());
        try (GraphSession session = blockSession(config, weights, layer, width, request)) {
            for (float[] x : hidden) {
                next.add(session.runHidden(x, window, width, Set.of(CalibrationGraphs.HIDDEN_OUTPUT))
                        .get(CalibrationGraphs.HIDDEN_OUTPUT));
            }
        }
        return next;
    }

    private static GraphSession blockSession(DecoderConfig config, TensorSource weights, int layer, int width,
            PruneRequest request) {
        int kvHeads = FamilyGraphs.kvHeadsPerLayer(config, weights)[layer];
        return new GraphSession(CalibrationGraphs.block(config, weights, layer, width), request.threads(), layer,
                kvHeads, config.headDim());
    }

    /** OWL's layer outlier ratio: share of Wanda scores |W_ij| ||X_j|| above M x their mean, over the block. */
    private static double layerOutlierRatio(FamilyGraphs family, TensorSource weights, int layer,
            Map<FamilyGraphs.Tap, InputStatistics> stats) {
        double outliers = 0;
        long total = 0;
        for (Map.Entry<String, FamilyGraphs.Tap> linear : family.linearInputs(layer).entrySet()) {
            TensorInfo info = weights.info(linear.getKey() + ".weight");
            float[] weight = weights.readFloats(info.name());
            int rows = (int) info.dimension(0);
            int cols = (int) info.dimension(1);
            if (family.weightsStoredInputMajor()) {
                weight = Matrices.transpose(weight, rows, cols);
                int swap = rows;
                rows = cols;
                cols = swap;
            }
            double ratio = OwlAllocation.outlierRatio(weight, rows, cols,
                    stats.get(linear.getValue()).columnNorms(), OWL_THRESHOLD);
            outliers += ratio * weight.length;
            total += weight.length;
        }
        return outliers / total;
    }
}
