package dev.prunelab.pruner.pipeline;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * {@code prune-report.json}, schema version 1: what was asked, what was achieved per matrix and overall, how
 * sparsity was spread over layers, how the model was calibrated, and what it cost.
 *
 * @param requestedSparsity the target fraction (1 - N/M for N:M)
 * @param achievedSparsity  zeros / weights over all pruned matrices, measured after pruning
 * @param layerAllocation   the sparsity each decoder layer was pruned to
 * @param secondsPerStage   wall-clock seconds of each stage (load, calibration forward passes, pruning math, export)
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
        long peakRssBytes,
        String output) {

    public static final int SCHEMA_VERSION = 1;
    public static final String FILE_NAME = "prune-report.json";

    /** @param shape as stored in the checkpoint ([out, in] for Linear, [in, out] for GPT-2 Conv1D) */
    public record MatrixSparsity(String name, long[] shape, double requested, double achieved, long zeros) {
    }

    /** @param tokens windows x window tokens that passed through every block */
    public record CalibrationSummary(String text, int samples, int window, long seed, long tokens) {
    }
}
