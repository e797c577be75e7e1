package dev.prunelab.pruner.structured;

import dev.prunelab.pruner.export.ExportDtype;
import dev.prunelab.pruner.pipeline.PruneRequest;
import java.util.Locale;

/**
 * What to remove and how to rank it, validated before any work. The ratio is the fraction of each structure
 * removed: of every layer's MLP channels, of every layer's query heads, or of the decoder blocks.
 *
 * @param ratio            fraction in [0, 1) of the targeted units to remove
 * @param biasCompensation FLAP only: fold the removed channels' mean contribution into the output bias
 * @param calibration      where calibration windows come from; unused by magnitude scores
 */
public record StructuredRequest(Target target, double ratio, Score score, Allocation allocation,
        boolean biasCompensation, PruneRequest.Calibration calibration, ExportDtype dtype, int threads) {

    /** The granularity removed. */
    public enum Target {
        MLP, HEADS, BLOCKS, MLP_HEADS;

        public boolean mlp() {
            return this == MLP || this == MLP_HEADS;
        }

        public boolean heads() {
            return this == HEADS || this == MLP_HEADS;
        }

        public String id() {
            return this == MLP_HEADS ? "mlp+heads" : name().toLowerCase(Locale.ROOT);
        }

        public static Target parse(String text) {
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "mlp" -> MLP;
                case "heads" -> HEADS;
                case "blocks" -> BLOCKS;
                case "mlp+heads", "heads+mlp" -> MLP_HEADS;
                default -> throw new IllegalArgumentException("unknown --target '" + text
                        + "' (expected mlp, heads, blocks or mlp+heads)");
            };
        }
    }

    /** How units are ranked; the lowest scores are removed. */
    public enum Score {
        /** L2 norm of all weights of the unit (rows it produces, columns it feeds). */
        MAGNITUDE,
        /** Σ |W_ij| · ‖X_j‖ over the unit's weights, X the input of each matrix (Wanda, summed per structure). */
        WANDA_SP,
        /** FLAP: Var(x_c) · ‖W_out[:, c]‖² over the unit's input columns c of the output projection. */
        FLAP,
        /** ShortGPT: 1 − cos(block input, block output), averaged over calibration tokens. */
        BLOCK_INFLUENCE;

        public String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Score parse(String text) {
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "magnitude" -> MAGNITUDE;
                case "wanda-sp" -> WANDA_SP;
                case "flap" -> FLAP;
                case "block-influence" -> BLOCK_INFLUENCE;
                default -> throw new IllegalArgumentException("unknown --score '" + text
                        + "' (expected magnitude, wanda-sp, flap or block-influence)");
            };
        }
    }

    /** Uniform: every layer loses the ratio; global: one ranking over all layers, a floor kept per layer. */
    public enum Allocation {
        UNIFORM, GLOBAL;

        public static Allocation parse(String text) {
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "uniform" -> UNIFORM;
                case "global" -> GLOBAL;
                default -> throw new IllegalArgumentException("unknown --allocation '" + text
                        + "' (expected uniform or global)");
            };
        }
    }

    public StructuredRequest {
        if (!(ratio >= 0 && ratio < 1)) {
            throw new IllegalArgumentException("--ratio must be in [0, 1), was " + ratio);
        }
        if (score == Score.BLOCK_INFLUENCE && target != Target.BLOCKS) {
            throw new IllegalArgumentException("--score block-influence ranks whole blocks; it needs --target blocks, "
                    + "not " + target.id());
        }
        if (target == Target.BLOCKS && score != Score.BLOCK_INFLUENCE) {
            throw new IllegalArgumentException("--target blocks is ranked by --score block-influence, not "
                    + score.id());
        }
        if (target == Target.BLOCKS && allocation == Allocation.GLOBAL) {
            throw new IllegalArgumentException("--allocation applies to heads and MLP channels; blocks are always "
                    + "ranked over the whole model");
        }
        if (biasCompensation && score != Score.FLAP) {
            throw new IllegalArgumentException("bias compensation is part of FLAP; --score " + score.id()
                    + " does not compensate");
        }
        if (threads < 0) {
            throw new IllegalArgumentException("--threads must be >= 0, was " + threads);
        }
    }

    /** Only magnitude scores need no activations. */
    public boolean needsCalibration() {
        return score != Score.MAGNITUDE;
    }
}
