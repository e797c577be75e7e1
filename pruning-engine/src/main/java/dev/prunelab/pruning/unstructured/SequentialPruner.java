package dev.prunelab.pruning.unstructured;

import dev.prunelab.measure.ProcessMemory;
import dev.prunelab.measure.ThreadPolicy;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.pruning.calibration.BlockCalibration;
import dev.prunelab.pruning.calibration.OverlayTensors;
import dev.prunelab.pruning.calibration.OwlScores;
import dev.prunelab.pruning.calibration.StageTimer;
import dev.prunelab.pruning.calibration.WindowSource;
import dev.prunelab.pruning.checkpoint.SafetensorsFile;
import dev.prunelab.pruning.checkpoint.SafetensorsWriter;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.graph.Matrices;
import dev.prunelab.pruning.memory.HeapRelease;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.prune.Dsnot;
import dev.prunelab.pruning.prune.Gptq;
import dev.prunelab.pruning.quantize.BlockQuantizer;
import dev.prunelab.vocabulary.WeightQuantizer;
import dev.prunelab.pruning.prune.InputStatistics;
import dev.prunelab.pruning.prune.OwlAllocation;
import dev.prunelab.pruning.prune.PruneResult;
import dev.prunelab.pruning.prune.SparseGpt;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.run.ProgressListener;
import dev.prunelab.pruning.run.ReportedExport;
import dev.prunelab.pruning.run.Reports;
import dev.prunelab.pruning.search.LevelSearch;
import java.util.Set;
import java.util.LinkedHashSet;
import dev.prunelab.vocabulary.WeightDtype;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.pruning.search.WidthSearch;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.RunStage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One-shot pruning of every linear module of every decoder block, sequentially as the reference
 * implementations do: block l is calibrated on the outputs of blocks 0..l-1 after they were pruned.
 * <pre>
 * allocate:      uniform, or OWL (a dense calibration pass scores every block's outliers)
 * prune blocks:  windows --embedding graph--> X_0
 *                for each block l:  X_l --dense block graph--> taps --InputStatistics per tap
 *                                   prune each linear (its tap's statistics)  --> spill file (block by block)
 *                                   X_l --pruned block graph--> X_{l+1}
 * export:        the model overlaid with the spill file, with prune-report.json
 * </pre>
 * Only one block's weights, its statistics and the calibration activations are in memory at a time; the
 * pruned weights stream to a safetensors spill file next to the output, removed after the export.
 */
public final class SequentialPruner {

    private SequentialPruner() {
    }

    public static PruneReport prune(LoadedModel model, PruneRequest request, WindowSource windowSource, Path out) {
        return prune(model, request, windowSource, out, ProgressListener.NONE);
    }

    /** {@link #prune(LoadedModel, PruneRequest, WindowSource, Path)} telling {@code listener} each stage and block. */
    public static PruneReport prune(LoadedModel model, PruneRequest request, WindowSource windowSource, Path out,
            ProgressListener listener) {
        long startNanos = System.nanoTime();
        DecoderConfig config = model.config();
        FamilyGraphs family = ModelFamilies.of(config).graphs(config);
        TensorSource weights = model.tensors();
        checkPatternFits(config, family, weights, request.pattern());
        if (request.weightBudgetBytes() != null) { // before any work
            WidthSearch.checkBudget(request.weightBudgetBytes(), blockBytes(config, family, weights, request, false),
                    blockBytes(config, family, weights, request, true));
        }
        Map<String, Double> seconds = new LinkedHashMap<>();
        BlockCalibration calibration = new BlockCalibration(config, request.calibration(), request.threads(),
                new StageTimer(seconds));
        // the statistics' and SparseGPT's parallel loops run in a pool of the calibration's thread count
        return ThreadPolicy.inPool(calibration.threads(), () -> pruneWith(model, request, windowSource, out,
                listener, calibration, seconds, startNanos));
    }

    private static PruneReport pruneWith(LoadedModel model, PruneRequest request, WindowSource windowSource, Path out,
            ProgressListener listener, BlockCalibration calibration, Map<String, Double> seconds, long startNanos) {
        DecoderConfig config = model.config();
        FamilyGraphs family = ModelFamilies.of(config).graphs(config);
        TensorSource weights = model.tensors();
        List<int[]> windows = calibration.windows(windowSource, request.needsCalibration());

        Path searchDirectory = LevelSearch.directoryBeside(out);
        Allocation allocated = allocate(config, weights, request, calibration, windows, searchDirectory, listener);
        double[] allocation = allocated.perLayer();
        WidthSearch.Result widths = request.weightBudgetBytes() == null ? null
                : WidthSearch.search(config, weights, widthKey(request, allocation), hessian(request),
                        widthVariant(config, weights, request, allocation), blockBytes(config, family, weights,
                                request, false), blockBytes(config, family, weights, request, true),
                        request.weightBudgetBytes(), calibration, windows,
                        LevelSearch.Settings.defaults(request.calibration().seed()), WidthSearch.directoryBeside(out),
                        listener);
        boolean[] floatLayers = new boolean[config.numLayers()];
        if (widths != null) {
            for (int layer : widths.floatLayers()) {
                floatLayers[layer] = true;
            }
        }
        Path spill = out.toAbsolutePath().resolveSibling("." + out.getFileName() + ".pruned-weights.safetensors");
        try {
            PrunedBlocks blocks = pruneBlocks(config, family, weights, request, calibration, windows, allocation,
                    floatLayers, spill, listener);
            long parameters = 0;
            for (String name : weights.names()) {
                parameters += weights.info(name).elementCount();
            }
            long totalParameters = parameters;
            try (SafetensorsFile prunedWeights = SafetensorsFile.open(spill)) {
                PruneReport report = ReportedExport.export(model, new OverlayTensors(weights, prunedWeights), out, request.dtype(),
                        request.compressWeights(), request.quantization().withPrecomputed(blocks.quantized())
                                .withFloatModules(floatModules(family, floatLayers)),
                        seconds, startNanos, listener,
                        staging -> {
                            if (allocated.search() != null) {
                                Reports.write(allocated.search(), staging.resolve(LevelSearch.Result.FILE_NAME));
                            }
                            if (widths != null) {
                                Reports.write(widths, staging.resolve(WidthSearch.Result.FILE_NAME));
                            }
                            return new PruneReport(
                                PruneReport.SCHEMA_VERSION, model.source().toAbsolutePath().toString(),
                                ModelFamilies.of(config).id(), request.method().word().id(),
                                request.pattern().toString(), request.pattern().sparsity(),
                                (double) blocks.zeros() / blocks.pruned(), blocks.pruned(), blocks.zeros(),
                                totalParameters, request.layerSparsity().name().toLowerCase(Locale.ROOT), allocation,
                                calibration.summary(request.calibration(), windows), blocks.matrices(), seconds,
                                calibration.threads(), ProcessMemory.peakRssBytes(), storage(staging),
                                out.toAbsolutePath().toString(),
                                request.refinement().id(), blocks.refinement());
                        });
                LevelSearch.removeDirectory(searchDirectory); // done with: the next prune to this output starts anew
                LevelSearch.removeDirectory(WidthSearch.directoryBeside(out));
                return report;
            }
        } finally {
            try {
                if (request.savePrunedWeights() != null && Files.exists(spill)) {
                    Files.move(spill, request.savePrunedWeights(), StandardCopyOption.REPLACE_EXISTING);
                }
                Files.deleteIfExists(spill);
            } catch (IOException ignored) {
                // a leftover hidden spill file is harmless and named after the output
            }
        }
    }

    /** Each block's sparsity, and what the search found where it searched (else null). */
    private record Allocation(double[] perLayer, LevelSearch.Result search) {
    }

    /**
     * Each block's target sparsity: the request's everywhere, OWL's outlier-weighted spread around it, or the
     * levels {@link LevelSearch} found (seeded by the calibration's seed).
     */
    private static Allocation allocate(DecoderConfig config, TensorSource weights, PruneRequest request,
            BlockCalibration calibration, List<int[]> windows, Path searchDirectory, ProgressListener listener) {
        switch (request.layerSparsity()) {
            case OWL -> {
                listener.progress(RunStage.CALIBRATE, 0, config.numLayers());
                double[] outlierRatios = OwlScores.layerOutlierRatios(config, weights, calibration, windows,
                        done -> listener.progress(RunStage.CALIBRATE, done, config.numLayers()));
                return new Allocation(OwlAllocation.allocate(outlierRatios, request.pattern().sparsity(),
                        OwlAllocation.DEFAULT_LAMBDA), null);
            }
            case SEARCH -> {
                // the blocks' levels are pruned by the method alone (no DSnoT, no quantization)
                LevelSearch.Result found = LevelSearch.search(config, weights, request.method().word().id(),
                        request.method().toString(), request.pattern().sparsity(),
                        request.method() instanceof SparseGpt, searchVariant(config, weights, request), calibration,
                        windows, LevelSearch.Settings.defaults(request.calibration().seed()), searchDirectory,
                        listener);
                return new Allocation(found.allocation(), found);
            }
            default -> {
                double[] allocation = new double[config.numLayers()];
                Arrays.fill(allocation, request.pattern().sparsity());
                return new Allocation(allocation, null);
            }
        }
    }

    /**
     * A block at one level for the search's database: its linear weights pruned by the request's method at that
     * sparsity, from the block's dense statistics (every level reads them; none takes XᵀX over).
     */
    static LevelSearch.BlockVariant searchVariant(DecoderConfig config, TensorSource weights, PruneRequest request) {
        FamilyGraphs family = ModelFamilies.of(config).graphs(config);
        return (layer, level, stats, file) -> writeBlock(family, weights, layer, file, (weight, info, tap) ->
                pruneMatrix(request, family, weight, info, stats.get(tap), new SparsityPattern.Unstructured(level)));
    }

    /** Work on one of a block's linear weights, in place, in its stored orientation. */
    @FunctionalInterface
    private interface MatrixWork {
        void apply(float[] weight, TensorInfo info, FamilyGraphs.Tap tap);
    }

    /**
     * Writes block {@code layer}'s linear weights to {@code file} (float32 safetensors), each read, changed by {@code
     * work} and written before the next is read: one matrix on the heap at a time. The names are those the block's
     * graph asks its weights for, read back as written.
     */
    private static void writeBlock(FamilyGraphs family, TensorSource weights, int layer, Path file, MatrixWork work) {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (String module : family.linearInputs(layer).keySet()) {
            entries.add(new SafetensorsWriter.Entry(module + ".weight", DType.F32,
                    weights.info(module + ".weight").shape()));
        }
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, entries, SafetensorsWriter.PT_METADATA)) {
            for (Map.Entry<String, FamilyGraphs.Tap> linear : family.linearInputs(layer).entrySet()) {
                String name = linear.getKey() + ".weight";
                float[] weight = weights.readFloats(name);
                work.apply(weight, weights.info(name), linear.getValue());
                writer.write(name, weight);
            }
        }
    }

    /** Whether pruning or quantizing reads XᵀX (SparseGPT, GPTQ). */
    private static boolean hessian(PruneRequest request) {
        return request.method() instanceof SparseGpt || request.quantization().quantizer() == WeightQuantizer.GPTQ;
    }

    /** Each block's linear weights in the export, in bytes: at 4 bits, or float. */
    static long[] blockBytes(DecoderConfig config, FamilyGraphs family, TensorSource weights, PruneRequest request,
            boolean asFloat) {
        int floatBytes = request.dtype() == WeightDtype.FLOAT16 ? 2 : 4;
        long[] bytes = new long[config.numLayers()];
        for (int layer = 0; layer < bytes.length; layer++) {
            for (String module : family.linearInputs(layer).keySet()) {
                TensorInfo info = weights.info(module + ".weight");
                boolean inputMajor = family.weightsStoredInputMajor();
                long out = info.dimension(inputMajor ? 1 : 0);
                long in = info.dimension(inputMajor ? 0 : 1);
                bytes[layer] += request.quantization().exportBytes(out, in, floatBytes, asFloat);
            }
        }
        return bytes;
    }

    /** The linear modules of the blocks kept float. */
    private static Set<String> floatModules(FamilyGraphs family, boolean[] floatLayers) {
        Set<String> modules = new LinkedHashSet<>();
        for (int layer = 0; layer < floatLayers.length; layer++) {
            if (floatLayers[layer]) {
                modules.addAll(family.linearInputs(layer).keySet());
            }
        }
        return modules;
    }

    /** What decides the width search's blocks besides the model and the windows. */
    private static String widthKey(PruneRequest request, double[] allocation) {
        LinearQuantization q = request.quantization();
        return request.method() + " " + request.pattern() + " levels " + Arrays.toString(allocation) + " "
                + q.quantizer() + " block " + q.blockSize() + " " + request.dtype();
    }

    /**
     * A block for the width search's database: its linear weights pruned by the request's method at the block's level
     * (as {@link #searchVariant}), and for the 4-bit choice rounded to the export's blocks by the request's quantizer
     * (GPTQ with the block's dense statistics) and dequantized: the weights MatMulNBits computes with.
     */
    static WidthSearch.BlockWidth widthVariant(DecoderConfig config, TensorSource weights, PruneRequest request,
            double[] allocation) {
        FamilyGraphs family = ModelFamilies.of(config).graphs(config);
        LinearQuantization quantization = request.quantization();
        return (layer, quantized, stats, file) -> {
            SparsityPattern pattern = request.layerSparsity() != LayerSparsity.UNIFORM
                    ? new SparsityPattern.Unstructured(allocation[layer]) : request.pattern();
            writeBlock(family, weights, layer, file, (weight, info, tap) -> {
                pruneMatrix(request, family, weight, info, stats.get(tap), pattern);
                if (quantized) {
                    outMajor(family, weight, info, (outMajor, out, in) -> {
                        roundTrip(outMajor, out, in, quantization, stats.get(tap));
                        return null;
                    });
                }
            });
        };
    }

    /** {@code w} [out, in] in place as its 4-bit blocks dequantize. */
    private static void roundTrip(float[] w, int out, int in, LinearQuantization quantization,
            InputStatistics statistics) {
        if (quantization.quantizer() == WeightQuantizer.GPTQ) {
            Gptq.withGroups(quantization.blockSize()).quantize(w, out, in, statistics.hessian()); // dequantized in place
            return;
        }
        BlockQuantizer.Quantized q = quantization.quantizer().symmetric()
                ? BlockQuantizer.quantize(w, out, in, quantization.blockSize())
                : BlockQuantizer.quantizeAsymmetric(w, out, in, quantization.blockSize());
        for (int row = 0; row < out; row++) {
            for (int col = 0; col < in; col++) {
                w[row * in + col] = q.dequantized(row, col);
            }
        }
    }

    /** What pruning the blocks left: the spill file's matrices and their counts. */
    private record PrunedBlocks(List<PruneReport.MatrixSparsity> matrices, long zeros, long pruned,
            PruneReport.Refinement refinement, Map<String, BlockQuantizer.Quantized> quantized) {
    }

    /** Prunes block by block, each calibrated on the pruned outputs of the blocks before it, into {@code spill}. */
    private static PrunedBlocks pruneBlocks(DecoderConfig config, FamilyGraphs family, TensorSource weights,
            PruneRequest request, BlockCalibration calibration, List<int[]> windows, double[] allocation,
            boolean[] floatLayers, Path spill, ProgressListener listener) {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (String module : family.linearInputs(layer).keySet()) {
                TensorInfo info = weights.info(module + ".weight");
                entries.add(new SafetensorsWriter.Entry(info.name(), DType.F32, info.shape()));
            }
        }
        StageTimer timer = calibration.timer();
        List<PruneReport.MatrixSparsity> matrices = new ArrayList<>();
        long zeros = 0;
        long pruned = 0;
        Dsnot dsnot = request.refinement() == MaskRefinement.DSNOT ? new Dsnot() : null;
        PruneReport.Refinement refinement = dsnot == null ? null : PruneReport.Refinement.empty(dsnot);
        // GPTQ's blocks, by module: a quarter of the float weights' bytes (codes, scales, zero points)
        Map<String, BlockQuantizer.Quantized> quantized = new LinkedHashMap<>();
        boolean gptq = request.quantization().quantizer() == WeightQuantizer.GPTQ;
        // SparseGPT with GPTQ is one sweep (the paper's joint compression), unless DSnoT changes the mask between
        SparseGpt joint = gptq && dsnot == null && request.method() instanceof SparseGpt s ? s : null;
        boolean hessian = request.method() instanceof SparseGpt || gptq;
        listener.progress(RunStage.PRUNE, 0, config.numLayers());
        List<float[]> hidden = calibration.embed(weights, windows);
        try (SafetensorsWriter writer = SafetensorsWriter.create(spill, entries, SafetensorsWriter.PT_METADATA)) {
            for (int layer = 0; layer < config.numLayers(); layer++) {
                Map<FamilyGraphs.Tap, InputStatistics> stats = calibration.collect(weights, layer, hidden, hessian,
                        false);
                SparsityPattern layerPattern = request.layerSparsity() != LayerSparsity.UNIFORM
                        ? new SparsityPattern.Unstructured(allocation[layer]) : request.pattern();
                Map<String, FamilyGraphs.Tap> linears = family.linearInputs(layer);
                // a block a weight budget kept float is pruned only: GPTQ's codes are for its 4-bit blocks
                boolean quantizeHere = gptq && !floatLayers[layer];
                SparseGpt jointHere = floatLayers[layer] ? null : joint;
                Map<FamilyGraphs.Tap, String> lastReader = new HashMap<>(); // the last module reading each tap
                linears.forEach((module, tap) -> lastReader.put(tap, module));
                for (Map.Entry<String, FamilyGraphs.Tap> linear : linears.entrySet()) {
                    String name = linear.getKey() + ".weight";
                    TensorInfo info = weights.info(name);
                    float[] weight = weights.readFloats(name);
                    InputStatistics statistics = stats.get(linear.getValue());
                    FamilyGraphs.Tap tap = linear.getValue();
                    // the tap's last reader of H takes the statistics' own array instead of a copy (GPTQ reads
                    // after the pruning method)
                    boolean lastRead = statistics != null && linear.getKey().equals(lastReader.get(tap));
                    if (lastRead && (!quantizeHere || jointHere != null)) {
                        statistics.handOverHessianOnNextRead();
                    }
                    Dsnot refiner = dsnot != null && (dsnot.refinesMlp()
                            || tap == FamilyGraphs.Tap.ATTENTION_INPUT || tap == FamilyGraphs.Tap.ATTENTION_CONTEXT)
                            ? dsnot : null;
                    Pruned matrix;
                    if (jointHere != null) {
                        SparseGpt.Joint both = timer.time("pruning_math", () -> pruneAndQuantizeMatrix(jointHere, family,
                                weight, info, statistics, layerPattern, request.quantization().blockSize()));
                        quantized.put(linear.getKey(), both.quantized());
                        matrix = new Pruned(both.result(), null);
                    } else {
                        matrix = timer.time("pruning_math", () -> pruneMatrix(request, family, weight, info,
                                statistics, layerPattern, refiner, windows.size()));
                    }
                    PruneResult result = matrix.result();
                    if (matrix.refinement() != null) {
                        refinement = refinement.plus(matrix.refinement());
                    }
                    if (quantizeHere && jointHere == null) {
                        if (lastRead) {
                            statistics.handOverHessianOnNextRead();
                        }
                        // after the mask is final: GPTQ keeps it, and the next block calibrates on the int4 weights
                        quantized.put(linear.getKey(), timer.time("pruning_math", () -> quantizeMatrix(family, weight,
                                info, statistics, request.quantization().blockSize())));
                    }
                    writer.write(name, weight);
                    matrices.add(new PruneReport.MatrixSparsity(name, layer, info.shape(), layerPattern.sparsity(),
                            result.achievedSparsity(), result.zeros(), matrix.refinement()));
                    zeros += result.zeros();
                    pruned += result.total();
                }
                stats = null; // the statistics are done with: not held through the calibration pass below
                if (hessian) {
                    // The pruning math's heap is garbage now (an 8B block: the 14336-wide H, 1.6 GB, and its 0.8 GB
                    // factor). A full collection lets the JVM shrink the heap and give those pages back before ONNX
                    // Runtime takes the next block, so the process does not hold both at once
                    // (bench/results/scale-notes.md). One per block, against minutes of work.
                    HeapRelease.collect();
                }
                if (layer + 1 < config.numLayers()) {
                    // the pruned weights are read back from the spill file, not kept: one block of float32
                    // weights less on the heap (0.9 GB for an 8B block)
                    calibration.forwardInPlace(new OverlayTensors(weights, writer.written()), layer, hidden);
                }
                listener.progress(RunStage.PRUNE, layer + 1, config.numLayers());
            }
        }
        return new PrunedBlocks(matrices, zeros, pruned, refinement, quantized);
    }

    private static PruneReport.Storage storage(Path exportDirectory) {
        ModelCard card = ModelCard.read(exportDirectory);
        long bytes = 0;
        try (var files = Files.list(exportDirectory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                bytes += Files.size(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure " + exportDirectory, e);
        }
        return new PruneReport.Storage(card.weightStorage(), bytes, card.expandedWeightBytes(),
                PruneReport.Storage.NOTE);
    }

    /** Prunes one matrix in place, in the [out, in] orientation the methods expect. */
    static PruneResult pruneMatrix(PruneRequest request, FamilyGraphs family, float[] weight, TensorInfo info,
            InputStatistics stats, SparsityPattern pattern) {
        return pruneMatrix(request, family, weight, info, stats, pattern, null, 1).result();
    }

    /** What pruning (and refining) one matrix did; {@code refinement} is null when DSnoT did not run on it. */
    record Pruned(PruneResult result, Dsnot.Result refinement) {
    }

    /**
     * Prunes one matrix in place, in the [out, in] orientation the methods expect, then lets {@code dsnot} (when
     * not null) refine the mask against the dense weights; {@code sequences} calibration windows made the statistics.
     */
    static Pruned pruneMatrix(PruneRequest request, FamilyGraphs family, float[] weight, TensorInfo info,
            InputStatistics stats, SparsityPattern pattern, Dsnot dsnot, long sequences) {
        return outMajor(family, weight, info, (outMajor, out, in) -> {
            float[] dense = dsnot == null ? null : outMajor.clone();
            PruneResult result = request.method().prune(outMajor, out, in, stats, pattern);
            Dsnot.Result refinement = null;
            if (dsnot != null) {
                refinement = dsnot.refine(dense, outMajor, out, in, stats, sequences, pattern);
                result = PruneResult.measure(outMajor, pattern);
            }
            return new Pruned(result, refinement);
        });
    }

    /** Work on one matrix in the [out, in] orientation the methods expect. */
    @FunctionalInterface
    interface OutMajorWork<T> {
        T apply(float[] outMajor, int out, int in);
    }

    /**
     * Runs {@code work} on the matrix as [out, in] (a Conv1D's [in, out] transposed there and back), its changes
     * written to {@code weight} in place.
     */
    static <T> T outMajor(FamilyGraphs family, float[] weight, TensorInfo info, OutMajorWork<T> work) {
        int rows = (int) info.dimension(0);
        int cols = (int) info.dimension(1);
        boolean inputMajor = family.weightsStoredInputMajor();
        float[] outMajor = inputMajor ? Matrices.transpose(weight, rows, cols) : weight;   // Conv1D [in, out] -> [out, in]
        int out = inputMajor ? cols : rows;
        int in = inputMajor ? rows : cols;
        T result = work.apply(outMajor, out, in);
        if (inputMajor) {
            System.arraycopy(Matrices.transpose(outMajor, out, in), 0, weight, 0, weight.length);
        }
        return result;
    }

    /**
     * GPTQ on one pruned matrix in place (its dequantized weights, the mask kept), in the [out, in] orientation.
     *
     * @return its int4 blocks for the export
     */
    static BlockQuantizer.Quantized quantizeMatrix(FamilyGraphs family, float[] weight, TensorInfo info,
            InputStatistics stats, int blockSize) {
        return outMajor(family, weight, info, (outMajor, out, in) ->
                Gptq.withGroups(blockSize).quantize(outMajor, out, in, stats.hessian()));
    }

    /** SparseGPT and GPTQ in one column sweep on one matrix in place ({@link SparseGpt#pruneAndQuantize}). */
    static SparseGpt.Joint pruneAndQuantizeMatrix(SparseGpt sparseGpt, FamilyGraphs family, float[] weight,
            TensorInfo info, InputStatistics stats, SparsityPattern pattern, int blockSize) {
        return outMajor(family, weight, info, (outMajor, out, in) ->
                sparseGpt.pruneAndQuantize(outMajor, out, in, stats, pattern, blockSize));
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
}
