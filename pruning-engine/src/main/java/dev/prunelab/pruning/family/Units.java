package dev.prunelab.pruning.family;

import dev.prunelab.pruning.family.FamilyGraphs.Tap;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The removable units of one layer (MLP channels or attention heads) and every tensor slice each unit owns.
 * Unit u owns indices [offset + u·unitWidth, offset + (u+1)·unitWidth) along {@code axis} of each slice's
 * tensor; removing units deletes those indices from every slice, so the layer stays a smaller dense layer.
 * <pre>
 * MLP (Llama):  gate_proj, up_proj rows ──act──▶ down_proj columns (output projection)
 * heads (OPT):  q/k/v rows (+bias) per head ──attention──▶ out_proj columns
 * GPT-2:        c_attn [hidden, q|k|v] columns at offsets 0, W, 2W ──▶ c_proj rows (Conv1D is [in, out])
 * </pre>
 *
 * @param groups     units fall into this many contiguous equal groups and each group loses the same number
 *                   (the KV groups of grouped-query attention); 1 when units are free
 * @param output     the slice of the output projection (the matrix that reads the units), on its input axis
 * @param outputBias the output projection's bias (FLAP's compensation target; created when absent)
 * @param hiddenTap  the tap that feeds the output projection (the units' activations)
 */
public record Units(Kind kind, int layer, int count, int groups, List<Slice> slices, Slice output, String outputBias,
        int outputWidth, Tap hiddenTap) {

    public enum Kind { MLP, HEADS }

    /**
     * @param inputAxis the axis of the tensor along its matrix input (1 for Linear [out, in], 0 for Conv1D
     *                  [in, out]); -1 for biases
     * @param inputTap  the tap that feeds this matrix (Wanda's ‖X_j‖), null for biases
     */
    public record Slice(String tensor, int axis, int offset, int unitWidth, int inputAxis, Tap inputTap) {
        public boolean isMatrix() {
            return inputAxis >= 0;
        }
    }

    public Units {
        slices = List.copyOf(slices);
        if (groups < 1 || count % groups != 0) {
            throw new IllegalArgumentException(kind + " of layer " + layer + ": " + count + " units in " + groups
                    + " groups");
        }
    }

    public int groupSize() {
        return count / groups;
    }

    /** The MLP channels of {@code layer} in the model's family. */
    public static Units mlp(DecoderConfig config, TensorSource weights, int layer) {
        return ModelFamilies.of(config).mlpUnits(config, weights, layer);
    }

    /**
     * The attention heads of {@code layer} in the model's family. With grouped-query attention (more query than
     * key/value heads) the units are query heads, grouped by the KV head they read (query head h reads KV head
     * h / groupSize), and every group loses the same number so the grouping survives; k/v are untouched.
     * Otherwise (multi-head attention) a unit is a whole head: its q, k and v rows and its output-projection
     * columns.
     */
    public static Units heads(DecoderConfig config, TensorSource weights, int layer) {
        return ModelFamilies.of(config).headUnits(config, weights, layer);
    }

    /**
     * The heads of an attention block with separate Linear q/k/v/o projections ([out, in] weights): the query
     * heads' rows of q, grouped by the key/value head they read; under multi-head attention also the heads' rows
     * of k and v; and the heads' columns of the output projection.
     */
    public static Units projectionHeads(DecoderConfig config, TensorSource weights, int layer, String q, String k,
            String v, String o) {
        int headDim = config.headDim();
        int queryHeads = (int) weights.info(q + ".weight").dimension(0) / headDim;
        int kvHeads = (int) weights.info(k + ".weight").dimension(0) / headDim;
        List<Slice> slices = new ArrayList<>();
        linearRows(slices, weights, q, Tap.ATTENTION_INPUT, 0, headDim);
        int groups = kvHeads;
        if (queryHeads == kvHeads) {
            linearRows(slices, weights, k, Tap.ATTENTION_INPUT, 0, headDim);
            linearRows(slices, weights, v, Tap.ATTENTION_INPUT, 0, headDim);
            groups = 1;
        }
        Slice output = new Slice(o + ".weight", 1, 0, headDim, 1, Tap.ATTENTION_CONTEXT);
        slices.add(output);
        return new Units(Kind.HEADS, layer, queryHeads, groups, slices, output, o + ".bias", config.hiddenSize(),
                Tap.ATTENTION_CONTEXT);
    }

    /**
     * The channels of an MLP of Linear layers ([out, in] weights): rows of each input projection (gate and up, or
     * fc1) with their biases, and the columns of the output projection (down, fc2).
     */
    public static Units linearMlp(DecoderConfig config, TensorSource weights, int layer, List<String> inputs,
            String output) {
        int width = (int) weights.info(inputs.get(0) + ".weight").dimension(0);
        List<Slice> slices = new ArrayList<>();
        for (String input : inputs) {
            linearRows(slices, weights, input, Tap.MLP_INPUT, 0, 1);
        }
        Slice outputSlice = new Slice(output + ".weight", 1, 0, 1, 1, Tap.MLP_HIDDEN);
        slices.add(outputSlice);
        return new Units(Kind.MLP, layer, width, 1, slices, outputSlice, output + ".bias", config.hiddenSize(),
                Tap.MLP_HIDDEN);
    }

    /** Heads of a Linear [out, in] projection, from its output width. */
    public static int outputHeads(DecoderConfig config, TensorSource weights, String module) {
        return FamilyGraphs.heads(weights.info(module + ".weight").dimension(0), config.headDim(), module);
    }

    /** Adds a Linear [out, in] whose rows are the units, with its bias when present. */
    public static void linearRows(List<Slice> slices, TensorSource weights, String module, Tap tap, int offset,
            int unitWidth) {
        slices.add(new Slice(module + ".weight", 0, offset, unitWidth, 1, tap));
        bias(slices, weights, module + ".bias", offset, unitWidth);
    }

    public static void bias(List<Slice> slices, TensorSource weights, String name, int offset, int unitWidth) {
        if (weights.contains(name)) {
            slices.add(new Slice(name, 0, offset, unitWidth, -1, null));
        }
    }
}
