package dev.prunelab.pruning.structured;

import dev.prunelab.pruning.export.FamilyGraphs.Tap;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.Gpt2Config;
import dev.prunelab.pruning.model.LlamaConfig;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.model.WeightNames.Gpt2;
import dev.prunelab.pruning.model.WeightNames.Llama;
import dev.prunelab.pruning.model.WeightNames.Opt;
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
record Units(Kind kind, int layer, int count, int groups, List<Slice> slices, Slice output, String outputBias,
        int outputWidth, Tap hiddenTap) {

    enum Kind { MLP, HEADS }

    /**
     * @param inputAxis the axis of the tensor along its matrix input (1 for Linear [out, in], 0 for Conv1D
     *                  [in, out]); -1 for biases
     * @param inputTap  the tap that feeds this matrix (Wanda's ‖X_j‖), null for biases
     */
    record Slice(String tensor, int axis, int offset, int unitWidth, int inputAxis, Tap inputTap) {
        boolean isMatrix() {
            return inputAxis >= 0;
        }
    }

    Units {
        slices = List.copyOf(slices);
        if (groups < 1 || count % groups != 0) {
            throw new IllegalArgumentException(kind + " of layer " + layer + ": " + count + " units in " + groups
                    + " groups");
        }
    }

    int groupSize() {
        return count / groups;
    }

    /** The MLP channels of a layer, read off the weight shapes. */
    static Units mlp(DecoderConfig config, TensorSource weights, int layer) {
        List<Slice> slices = new ArrayList<>();
        if (config instanceof LlamaConfig) {
            String gate = Llama.mlp(layer, "gate_proj");
            String up = Llama.mlp(layer, "up_proj");
            String down = Llama.mlp(layer, "down_proj");
            int width = (int) weights.info(gate + ".weight").dimension(0);
            linearRows(slices, weights, gate, Tap.MLP_INPUT, 0, 1);
            linearRows(slices, weights, up, Tap.MLP_INPUT, 0, 1);
            Slice output = new Slice(down + ".weight", 1, 0, 1, 1, Tap.MLP_HIDDEN);
            slices.add(output);
            return new Units(Kind.MLP, layer, width, 1, slices, output, down + ".bias", config.hiddenSize(),
                    Tap.MLP_HIDDEN);
        }
        if (config instanceof Gpt2Config) {
            String fc = Gpt2.mlp(layer, "c_fc");
            String proj = Gpt2.mlp(layer, "c_proj");
            int width = (int) weights.info(fc + ".weight").dimension(1);
            slices.add(new Slice(fc + ".weight", 1, 0, 1, 0, Tap.MLP_INPUT));
            bias(slices, weights, fc + ".bias", 0, 1);
            Slice output = new Slice(proj + ".weight", 0, 0, 1, 0, Tap.MLP_HIDDEN);
            slices.add(output);
            return new Units(Kind.MLP, layer, width, 1, slices, output, proj + ".bias", config.hiddenSize(),
                    Tap.MLP_HIDDEN);
        }
        String fc1 = Opt.mlp(layer, "fc1");
        String fc2 = Opt.mlp(layer, "fc2");
        int width = (int) weights.info(fc1 + ".weight").dimension(0);
        linearRows(slices, weights, fc1, Tap.MLP_INPUT, 0, 1);
        Slice output = new Slice(fc2 + ".weight", 1, 0, 1, 1, Tap.MLP_HIDDEN);
        slices.add(output);
        return new Units(Kind.MLP, layer, width, 1, slices, output, fc2 + ".bias", config.hiddenSize(),
                Tap.MLP_HIDDEN);
    }

    /**
     * The attention heads of a layer. With grouped-query attention (more query than key/value heads) the units
     * are query heads, grouped by the KV head they read (query head h reads KV head h / groupSize), and every
     * group loses the same number so the grouping survives; k/v are untouched. Otherwise (multi-head
     * attention) a unit is a whole head: its q, k and v rows and its output-projection columns.
     */
    static Units heads(DecoderConfig config, TensorSource weights, int layer) {
        int headDim = config.headDim();
        List<Slice> slices = new ArrayList<>();
        if (config instanceof Gpt2Config) {
            String attn = Gpt2.attention(layer, "c_attn");
            String proj = Gpt2.attention(layer, "c_proj");
            int width = (int) weights.info(attn + ".weight").dimension(1) / 3;
            for (int part = 0; part < 3; part++) {
                slices.add(new Slice(attn + ".weight", 1, part * width, headDim, 0, Tap.ATTENTION_INPUT));
                bias(slices, weights, attn + ".bias", part * width, headDim);
            }
            Slice output = new Slice(proj + ".weight", 0, 0, headDim, 0, Tap.ATTENTION_CONTEXT);
            slices.add(output);
            return new Units(Kind.HEADS, layer, width / headDim, 1, slices, output, proj + ".bias",
                    config.hiddenSize(), Tap.ATTENTION_CONTEXT);
        }
        boolean llama = config instanceof LlamaConfig;
        String q = llama ? Llama.attention(layer, "q_proj") : Opt.attention(layer, "q_proj");
        String k = llama ? Llama.attention(layer, "k_proj") : Opt.attention(layer, "k_proj");
        String v = llama ? Llama.attention(layer, "v_proj") : Opt.attention(layer, "v_proj");
        String o = llama ? Llama.attention(layer, "o_proj") : Opt.attention(layer, "out_proj");
        int queryHeads = (int) weights.info(q + ".weight").dimension(0) / headDim;
        int kvHeads = (int) weights.info(k + ".weight").dimension(0) / headDim;
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

    /** A Linear [out, in] whose rows are the units, with its bias when present. */
    private static void linearRows(List<Slice> slices, TensorSource weights, String module, Tap tap, int offset,
            int unitWidth) {
        slices.add(new Slice(module + ".weight", 0, offset, unitWidth, 1, tap));
        bias(slices, weights, module + ".bias", offset, unitWidth);
    }

    private static void bias(List<Slice> slices, TensorSource weights, String name, int offset, int unitWidth) {
        if (weights.contains(name)) {
            slices.add(new Slice(name, 0, offset, unitWidth, -1, null));
        }
    }
}
