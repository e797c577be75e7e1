package dev.prunelab.pruning.pipeline;

import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.WeightDtype;
import dev.prunelab.pruning.prune.Magnitude;
import dev.prunelab.pruning.prune.PruningMethod;
import dev.prunelab.pruning.prune.SparseGpt;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.prune.Wanda;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What to prune and how, validated before any work.
 *
 * @param layerSparsity uniform (every layer at the target) or OWL (outlier-weighted, mean = target)
 * @param calibration   where calibration windows come from; unused by uniform magnitude pruning
 * @param compressWeights store the weights with zeros skipped (model.onnx.data.sparse, one bit per zero)
 *                      on disk; ONNX Runtime still loads them dense
 */
public record PruneRequest(PruningMethod method, SparsityPattern pattern, LayerSparsity layerSparsity,
        Calibration calibration, WeightDtype dtype, int threads, boolean compressWeights) {

    /** A request whose export keeps the weights as ONNX Runtime reads them (not compressed). */
    public PruneRequest(PruningMethod method, SparsityPattern pattern, LayerSparsity layerSparsity,
            Calibration calibration, WeightDtype dtype, int threads) {
        this(method, pattern, layerSparsity, calibration, dtype, threads, false);
    }

    /**
     * N windows of W tokens at random offsets of the calibration text's token stream, drawn with the seed.
     *
     * @param window tokens per window; 0 means the model's context length capped at 2048
     */
    public record Calibration(Path text, int samples, int window, long seed) {
        public Calibration {
            if (samples < 1) {
                throw new IllegalArgumentException("--samples must be at least 1, was " + samples);
            }
            if (window < 0 || window == 1) {
                throw new IllegalArgumentException("--window must be at least 2 tokens, was " + window);
            }
        }
    }

    public PruneRequest {
        if (layerSparsity == LayerSparsity.OWL && !(pattern instanceof SparsityPattern.Unstructured)) {
            throw new IllegalArgumentException("OWL allocates unstructured sparsity per layer; it cannot be combined "
                    + "with the N:M pattern " + pattern);
        }
        if (threads < 0) {
            throw new IllegalArgumentException("--threads must be >= 0, was " + threads);
        }
    }

    /** Magnitude with uniform sparsity needs no activations at all. */
    public boolean needsCalibration() {
        return !(method instanceof Magnitude) || layerSparsity == LayerSparsity.OWL;
    }

    /** The unstructured method of a word (structured pruning is a request of its own). */
    public static PruningMethod method(PruneMethod word) {
        return switch (word) {
            case MAGNITUDE -> new Magnitude();
            case WANDA -> new Wanda();
            case SPARSEGPT -> new SparseGpt();
            case STRUCTURED -> throw new InvalidSetting(PruneMethod.FIELD,
                    "structured is not an unstructured method (it takes a target, a ratio and a score)");
        };
    }

    public static String methodName(PruningMethod method) {
        return word(method).id();
    }

    public static PruneMethod word(PruningMethod method) {
        if (method instanceof Magnitude) {
            return PruneMethod.MAGNITUDE;
        }
        return method instanceof Wanda ? PruneMethod.WANDA : PruneMethod.SPARSEGPT;
    }
}
