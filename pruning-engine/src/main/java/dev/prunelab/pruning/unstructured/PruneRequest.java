package dev.prunelab.pruning.unstructured;

import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.prune.Dsnot;
import dev.prunelab.pruning.prune.Magnitude;
import dev.prunelab.pruning.prune.PruningMethod;
import dev.prunelab.pruning.prune.Ria;
import dev.prunelab.pruning.prune.SparseGpt;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.prune.Wanda;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.vocabulary.WeightQuantizer;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Path;

/**
 * What to prune and how, validated before any work.
 *
 * @param layerSparsity uniform (every layer at the target), OWL (outlier-weighted, mean = target) or search
 *                      (levels found by {@link LevelSearch}, mean = target)
 * @param calibration   where calibration windows come from; unused by uniform magnitude pruning
 * @param compressWeights store the weights with zeros skipped (model.onnx.data.sparse, one bit per zero)
 *                      on disk; ONNX Runtime still loads them dense
 */
public record PruneRequest(PruningMethod method, SparsityPattern pattern, LayerSparsity layerSparsity,
        Calibration calibration, WeightDtype dtype, int threads, boolean compressWeights, MaskRefinement refinement,
        LinearQuantization quantization, Path savePrunedWeights, Long weightBudgetBytes) {

    /** No budget on the weights' bytes: every linear layer as {@code quantization} says. */
    public PruneRequest(PruningMethod method, SparsityPattern pattern, LayerSparsity layerSparsity,
            Calibration calibration, WeightDtype dtype, int threads, boolean compressWeights, MaskRefinement refinement,
            LinearQuantization quantization, Path savePrunedWeights) {
        this(method, pattern, layerSparsity, calibration, dtype, threads, compressWeights, refinement, quantization,
                savePrunedWeights, null);
    }

    /** A request whose export keeps the weights as ONNX Runtime reads them (not compressed). */
    public PruneRequest(PruningMethod method, SparsityPattern pattern, LayerSparsity layerSparsity,
            Calibration calibration, WeightDtype dtype, int threads) {
        this(method, pattern, layerSparsity, calibration, dtype, threads, false);
    }

    /** The method's mask as it is, float linear layers, the pruned weights not kept. */
    public PruneRequest(PruningMethod method, SparsityPattern pattern, LayerSparsity layerSparsity,
            Calibration calibration, WeightDtype dtype, int threads, boolean compressWeights) {
        this(method, pattern, layerSparsity, calibration, dtype, threads, compressWeights, MaskRefinement.NONE,
                LinearQuantization.FLOAT, null);
    }

    /**
     * @param refinement        none, or DSnoT's prune-and-grow swaps on the method's mask ({@link Dsnot})
     * @param quantization      float linear layers, or int4 MatMulNBits in the export
     * @param savePrunedWeights where to keep the pruned linear weights (safetensors, float32) for a later
     *                          {@code ./lab export --pruned-weights}; null: removed after the export
     * @param weightBudgetBytes with 4-bit weights, the most bytes the blocks' linear weights may take in the export:
     *                          the blocks whose 4-bit weights cost the most quality stay float while it holds them
     *                          ({@link dev.prunelab.pruning.search.WidthSearch}); null: every block as
     *                          {@code quantization} says
     */
    public PruneRequest {
        refinement = refinement == null ? MaskRefinement.NONE : refinement;
        quantization = quantization == null ? LinearQuantization.FLOAT : quantization;
        if (weightBudgetBytes != null && !quantization.quantized()) {
            throw new InvalidSetting("weightBudget", "chooses which blocks keep float weights among 4-bit ones; it "
                    + "needs weightBits 4");
        }
        if (weightBudgetBytes != null && weightBudgetBytes <= 0) {
            throw new InvalidSetting("weightBudget", "must be positive, was " + weightBudgetBytes);
        }
        if (layerSparsity != null && layerSparsity != LayerSparsity.UNIFORM
                && !(pattern instanceof SparsityPattern.Unstructured)) {
            throw new InvalidSetting(LayerSparsity.FIELD, layerSparsity.id() + " allocates unstructured sparsity per "
                    + "layer; it cannot be combined with the N:M pattern " + pattern);
        }
        if (threads < 0) {
            throw new InvalidSetting("threads", "must be >= 0, was " + threads);
        }
    }

    /** Magnitude with uniform sparsity and no DSnoT needs no activations at all. */
    public boolean needsCalibration() {
        return method.word() != PruneMethod.MAGNITUDE || layerSparsity != LayerSparsity.UNIFORM
                || refinement != MaskRefinement.NONE || quantization.quantizer() == WeightQuantizer.GPTQ
                || weightBudgetBytes != null;
    }

    /** The unstructured method of a word (structured pruning is a request of its own). */
    public static PruningMethod method(PruneMethod word) {
        return switch (word) {
            case MAGNITUDE -> new Magnitude();
            case WANDA -> new Wanda();
            case SPARSEGPT -> new SparseGpt();
            case RIA -> new Ria();
            case STRUCTURED -> throw new InvalidSetting(PruneMethod.FIELD,
                    "structured is not an unstructured method (it takes a target, a ratio and a score)");
        };
    }
}
