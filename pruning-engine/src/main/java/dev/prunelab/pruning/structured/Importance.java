package dev.prunelab.pruning.structured;

import dev.prunelab.pruning.family.FamilyGraphs.Tap;
import dev.prunelab.pruning.family.Units;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.prune.InputStatistics;
import dev.prunelab.vocabulary.StructuredScore;
import java.util.Map;

/**
 * Importance of each unit of a layer; the lowest are removed.
 * <ul>
 * <li>magnitude: ‖W_u‖₂ over every weight the unit owns (rows it produces and columns it feeds);</li>
 * <li>wanda-sp: Σ_{(i,j) ∈ u} |W_ij| · ‖X_j‖₂, X the input of each matrix (Wanda's metric, summed per
 *     structure as in An et al. 2024's Wanda-sp baseline);</li>
 * <li>flap: Σ_{c ∈ u} Var(x_c) · ‖W_out[:, c]‖₂², the fluctuation of the output projection's input c over
 *     calibration tokens times the squared norm of the column it multiplies (An et al. 2024, Eq. 6).</li>
 * </ul>
 */
final class Importance {
    private Importance() {
    }

    static double[] scores(StructuredScore score, Units units, TensorSource weights,
            Map<Tap, InputStatistics> stats) {
        return switch (score) {
            case MAGNITUDE -> magnitude(units, weights);
            case WANDA_SP -> wandaSp(units, weights, stats);
            case FLAP -> fluctuation(units, weights, stats.get(units.hiddenTap()));
            case BLOCK_INFLUENCE -> throw new IllegalArgumentException("block influence ranks blocks, not units");
        };
    }

    static double[] magnitude(Units units, TensorSource weights) {
        double[] squares = new double[units.count()];
        for (Units.Slice slice : units.slices()) {
            if (slice.isMatrix()) {
                visit(units, slice, weights, (unit, inputIndex, w) -> squares[unit] += (double) w * w);
            }
        }
        for (int u = 0; u < squares.length; u++) {
            squares[u] = Math.sqrt(squares[u]);
        }
        return squares;
    }

    static double[] wandaSp(Units units, TensorSource weights, Map<Tap, InputStatistics> stats) {
        double[] scores = new double[units.count()];
        for (Units.Slice slice : units.slices()) {
            if (slice.isMatrix()) {
                float[] norms = stats.get(slice.inputTap()).columnNorms();
                visit(units, slice, weights, (unit, inputIndex, w) -> scores[unit] += Math.abs(w) * norms[inputIndex]);
            }
        }
        return scores;
    }

    static double[] fluctuation(Units units, TensorSource weights, InputStatistics hidden) {
        Units.Slice output = units.output();
        double[] columnSquares = new double[units.count() * output.unitWidth()];  // ‖W_out[:, c]‖² per unit column
        visitIndexed(units, output, weights, (index, inputIndex, w) -> columnSquares[index] += (double) w * w);
        double[] variances = hidden.columnVariances();
        double[] scores = new double[units.count()];
        for (int c = 0; c < columnSquares.length; c++) {
            scores[c / output.unitWidth()] += variances[output.offset() + c] * columnSquares[c];
        }
        return scores;
    }

    interface WeightVisitor {
        void accept(int unit, int inputIndex, float weight);
    }

    /** Calls the visitor for every weight of the slice that belongs to a unit: (unit, index on the input axis, w). */
    static void visit(Units units, Units.Slice slice, TensorSource weights, WeightVisitor visitor) {
        visitIndexed(units, slice, weights,
                (index, inputIndex, w) -> visitor.accept(index / slice.unitWidth(), inputIndex, w));
    }

    /** As {@link #visit}, passing the unit-axis index relative to the slice's offset instead of the unit. */
    private static void visitIndexed(Units units, Units.Slice slice, TensorSource weights, WeightVisitor visitor) {
        long[] shape = weights.info(slice.tensor()).shape();
        float[] w = weights.readFloats(slice.tensor());
        int cols = (int) shape[1];
        int span = units.count() * slice.unitWidth();
        for (int i = 0; i < w.length; i++) {
            int row = i / cols;
            int col = i - row * cols;
            int relative = (slice.axis() == 0 ? row : col) - slice.offset();
            if (relative >= 0 && relative < span) {
                visitor.accept(relative, slice.inputAxis() == 0 ? row : col, w[i]);
            }
        }
    }
}
