package dev.prunelab.pruner.pipeline;

import dev.prunelab.pruner.export.ExportDtype;
import dev.prunelab.pruner.prune.Magnitude;
import dev.prunelab.pruner.prune.PruningMethod;
import dev.prunelab.pruner.prune.SparseGpt;
import dev.prunelab.pruner.prune.SparsityPattern;
import dev.prunelab.pruner.prune.Wanda;
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
        Calibration calibration, ExportDtype dtype, int threads, boolean compressWeights) {

    /** A request whose export keeps the weights as ONNX Runtime reads them (not compressed). */
    public PruneRequest(PruningMethod method, SparsityPattern pattern, LayerSparsity layerSparsity,
            Calibration calibration, ExportDtype dtype, int threads) {
        this(method, pattern, layerSparsity, calibration, dtype, threads, false);
    }

    public enum LayerSparsity {
        UNIFORM, OWL;

        public static LayerSparsity parse(String text) {
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "uniform" -> UNIFORM;
                case "owl" -> OWL;
                default -> throw new IllegalArgumentException("unknown layer sparsity '" + text
                        + "' (expected uniform or owl)");
            };
        }
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

    public static PruningMethod method(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "magnitude" -> new Magnitude();
            case "wanda" -> new Wanda();
            case "sparsegpt" -> new SparseGpt();
            default -> throw new IllegalArgumentException("unknown method '" + name
                    + "' (expected magnitude, wanda or sparsegpt)");
        };
    }

    public static String methodName(PruningMethod method) {
        if (method instanceof Magnitude) {
            return "magnitude";
        }
        return method instanceof Wanda ? "wanda" : "sparsegpt";
    }
}
