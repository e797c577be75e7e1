package dev.prunelab.pruning.unstructured;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.pruning.calibration.CalibrationSummary;
import dev.prunelab.pruning.prune.Dsnot;
import dev.prunelab.pruning.run.ReportedExport;
import dev.prunelab.pruning.run.RunReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code prune-report.json}, schema version 1: what was asked, what was achieved per matrix and overall, how
 * sparsity was spread over layers, how the model was calibrated, and what it cost.
 *
 * @param requestedSparsity the target fraction (1 - N/M for N:M)
 * @param achievedSparsity  zeros / weights over all pruned matrices, measured after pruning
 * @param layerAllocation   the sparsity each decoder layer was pruned to
 * @param secondsPerStage   wall-clock seconds of each stage (load, calibration forward passes, pruning math, export)
 * @param threads           ONNX Runtime intra-op threads and Java pool workers the run computed with: the request's
 *                          count, or what auto ({@code --threads 0}) chose from the cores idle when it started
 * @param refinement        "none" or "dsnot"
 * @param refinementSummary what DSnoT did (absent without it)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PruneReport(
        int schemaVersion,
        String source,
        String family,
        String method,
        String pattern,
        double requestedSparsity,
        double achievedSparsity,
        long prunedWeights,
        long zeroWeights,
        long totalParameters,
        String layerSparsity,
        double[] layerAllocation,
        CalibrationSummary calibration,
        List<MatrixSparsity> matrices,
        Map<String, Double> secondsPerStage,
        int threads,
        Long peakRssBytes,
        Storage storage,
        String output,
        String refinement,
        Refinement refinementSummary) implements RunReport {

    public static final int SCHEMA_VERSION = 1;
    public static final String FILE_NAME = ReportedExport.FILE_NAME;

    @Override
    public Sparsity sparsity() {
        return new Sparsity(requestedSparsity, achievedSparsity);
    }

    /** Zeros over elements of each layer's pruned matrices (a report older than the matrices' layers: none). */
    @Override
    public List<LayerRemoval> layerRemovals() {
        Map<Integer, Long> zerosByLayer = new TreeMap<>();
        Map<Integer, Long> elementsByLayer = new TreeMap<>();
        for (MatrixSparsity matrix : matrices == null ? List.<MatrixSparsity>of() : matrices) {
            if (matrix.layer() != null) {
                zerosByLayer.merge(matrix.layer(), matrix.zeros(), Long::sum);
                elementsByLayer.merge(matrix.layer(), matrix.elements(), Long::sum);
            }
        }
        List<LayerRemoval> layers = new ArrayList<>();
        elementsByLayer.forEach((layer, elements) -> layers.add(new LayerRemoval(layer,
                elements == 0 ? 0 : (double) zerosByLayer.get(layer) / elements, null, null)));
        return layers;
    }

    /**
     * @param layer the decoder layer of the source model the matrix belongs to
     * @param shape as stored in the checkpoint ([out, in] for Linear, [in, out] for GPT-2 Conv1D)
     */
    public record MatrixSparsity(String name, Integer layer, long[] shape, double requested, double achieved,
            long zeros, Dsnot.Result refinement) {

        long elements() {
            long elements = 1;
            for (long dimension : shape) {
                elements *= dimension;
            }
            return elements;
        }
    }

    /**
     * DSnoT over the whole model: the matrices it refined (the reference skips the MLP), its swaps, and Σ|ε_i| over
     * their output rows before and after (ε_i: the expected reconstruction error of output i per calibration
     * sequence, {@link Dsnot}), with the settings it ran with.
     */
    public record Refinement(int maxCycles, double updateThreshold, double regrowVariancePower, boolean refinesMlp,
            int matrices, long swaps, double errorBefore, double errorAfter) {
        static Refinement empty(Dsnot dsnot) {
            return new Refinement(dsnot.maxCycles(), dsnot.updateThreshold(), dsnot.regrowVariancePower(),
                    dsnot.refinesMlp(), 0, 0, 0, 0);
        }

        Refinement plus(Dsnot.Result matrix) {
            return new Refinement(maxCycles, updateThreshold, regrowVariancePower, refinesMlp, matrices + 1,
                    swaps + matrix.swaps(), errorBefore + matrix.errorBefore(), errorAfter + matrix.errorAfter());
        }
    }

    /**
     * What the zeros cost on disk. {@code weightStorage} "external-sparse" keeps the weights compressed;
     * {@code note} states what that does and does not save.
     *
     * @param directoryBytes      the export directory on disk
     * @param expandedWeightBytes the weights as ONNX Runtime reads them (0 when inline in model.onnx)
     */
    public record Storage(String weightStorage, long directoryBytes, long expandedWeightBytes, String note) {
        public static final String NOTE = "ONNX Runtime densifies weights at load: compressed storage shrinks disk "
                + "and download, not runtime memory or time";
    }
}
