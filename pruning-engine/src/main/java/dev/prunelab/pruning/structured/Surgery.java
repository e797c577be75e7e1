package dev.prunelab.pruning.structured;

import dev.prunelab.pruning.family.Units;
import dev.prunelab.pruning.model.TensorSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Cuts removed units out of a layer's tensors, and FLAP's bias compensation. */
final class Surgery {
    private Surgery() {
    }

    /**
     * The units to remove: the {@code remove} lowest scores of each group (ties to the lower index), in ascending
     * unit order. {@code remove} is per group.
     */
    static int[] lowest(double[] scores, int groups, int remove) {
        int size = scores.length / groups;
        List<Integer> removed = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            Integer[] order = new Integer[size];
            for (int i = 0; i < size; i++) {
                order[i] = g * size + i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]) != 0
                    ? Double.compare(scores[a], scores[b]) : Integer.compare(a, b));
            removed.addAll(Arrays.asList(order).subList(0, remove));
        }
        return removed.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /**
     * FLAP's compensation (An et al. 2024, Eq. 8): the removed inputs c of the output projection are replaced by
     * their calibration means, so b_out += Σ_{c removed} W_out[:, c] · E[x_c]. Call before {@link #remove}.
     */
    static void compensate(Units units, int[] removed, double[] hiddenMeans, TensorSource weights,
            PrunedTensors into) {
        Units.Slice output = units.output();
        long[] shape = weights.info(output.tensor()).shape();
        float[] w = weights.readFloats(output.tensor());
        int cols = (int) shape[1];
        double[] bias = new double[units.outputWidth()];
        if (weights.contains(units.outputBias())) {
            float[] existing = weights.readFloats(units.outputBias());
            for (int o = 0; o < bias.length; o++) {
                bias[o] = existing[o];
            }
        }
        for (int unit : removed) {
            for (int k = 0; k < output.unitWidth(); k++) {
                int c = output.offset() + unit * output.unitWidth() + k;
                double mean = hiddenMeans[c];
                for (int o = 0; o < bias.length; o++) {
                    float weight = output.axis() == 1 ? w[o * cols + c] : w[c * cols + o];
                    bias[o] += weight * mean;
                }
            }
        }
        float[] result = new float[bias.length];
        for (int o = 0; o < bias.length; o++) {
            result[o] = (float) bias[o];
        }
        into.put(units.outputBias(), result, bias.length);
    }

    /** Deletes the removed units' indices from every slice's tensor (slices of one tensor are cut together). */
    static void remove(Units units, int[] removed, TensorSource weights, PrunedTensors into) {
        Map<String, List<Units.Slice>> byTensor = new LinkedHashMap<>();
        for (Units.Slice slice : units.slices()) {
            byTensor.computeIfAbsent(slice.tensor(), t -> new ArrayList<>()).add(slice);
        }
        for (Map.Entry<String, List<Units.Slice>> entry : byTensor.entrySet()) {
            String name = entry.getKey();
            long[] shape = weights.info(name).shape();
            int axis = entry.getValue().get(0).axis();
            boolean[] drop = new boolean[(int) shape[axis]];
            for (Units.Slice slice : entry.getValue()) {
                for (int unit : removed) {
                    int start = slice.offset() + unit * slice.unitWidth();
                    Arrays.fill(drop, start, start + slice.unitWidth(), true);
                }
            }
            float[] values = weights.readFloats(name);
            if (shape.length == 1) {
                into.put(name, keep(values, drop, 1), count(drop));
            } else if (axis == 0) {
                into.put(name, keep(values, drop, (int) shape[1]), count(drop), shape[1]);
            } else {
                into.put(name, keepColumns(values, drop, (int) shape[0]), shape[0], count(drop));
            }
        }
    }

    private static int count(boolean[] drop) {
        int kept = 0;
        for (boolean d : drop) {
            kept += d ? 0 : 1;
        }
        return kept;
    }

    /** Rows of {@code rowWidth} values kept where not dropped. */
    private static float[] keep(float[] values, boolean[] drop, int rowWidth) {
        float[] kept = new float[count(drop) * rowWidth];
        int at = 0;
        for (int r = 0; r < drop.length; r++) {
            if (!drop[r]) {
                System.arraycopy(values, r * rowWidth, kept, at, rowWidth);
                at += rowWidth;
            }
        }
        return kept;
    }

    private static float[] keepColumns(float[] values, boolean[] drop, int rows) {
        int cols = drop.length;
        int keptCols = count(drop);
        float[] kept = new float[rows * keptCols];
        int at = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                if (!drop[c]) {
                    kept[at++] = values[r * cols + c];
                }
            }
        }
        return kept;
    }
}
