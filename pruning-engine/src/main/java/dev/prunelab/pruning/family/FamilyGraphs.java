package dev.prunelab.pruning.family;

import dev.prunelab.pruning.graph.DecoderGraph;
import dev.prunelab.pruning.graph.GraphBuilder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The forward pass of each family in three pieces (embed, one decoder layer, head), node by node in Hugging
 * Face module paths. The exporter chains them into the full decoder; the pruner builds one-layer graphs from
 * the same code to calibrate block by block, reading the layer's linear inputs from its {@link Taps}.
 * Widths per layer come from the weight shapes, so a structurally pruned model exports the same way.
 */
public abstract class FamilyGraphs {
    private final String embeddingName;
    private GraphBuilder.StoredMatrix embeddingTable;

    protected FamilyGraphs(String embeddingName) {
        this.embeddingName = embeddingName;
    }

    /**
     * The token embedding table, stored in {@code d}'s graph on first use: by {@link #embed} in a graph that starts
     * from token ids, by {@link #head} in one that starts from hidden states (a tied head reads the same table).
     * One instance builds one graph.
     */
    protected GraphBuilder.StoredMatrix embeddingTable(DecoderGraph d) {
        if (embeddingTable == null) {
            embeddingTable = d.table(embeddingName);
        }
        return embeddingTable;
    }

    /** The intermediate tensors that feed a layer's linear modules (their calibration inputs). */
    public enum Tap {
        /** normalised block input: q/k/v (or c_attn) input, [B,S,hidden] */
        ATTENTION_INPUT,
        /** merged attention heads: o_proj/out_proj/c_proj input, [B,S,heads*headDim] */
        ATTENTION_CONTEXT,
        /** normalised residual: gate/up, fc1 or c_fc input, [B,S,hidden] */
        MLP_INPUT,
        /** activated MLP hidden: down, fc2 or mlp.c_proj input, [B,S,intermediate] */
        MLP_HIDDEN;

        public String outputName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Where a layer's taps were recorded while it was built. */
    public static final class Taps {
        private final Map<Tap, String> values = new LinkedHashMap<>();

        public void record(Tap tap, String value) {
            values.put(tap, value);
        }

        /** The graph value of each tap, in the order they were recorded. */
        public Map<Tap, String> values() {
            return Collections.unmodifiableMap(values);
        }
    }

    /** Token (and position) embeddings: [B,S] ids -> [B,S,hidden]. */
    public abstract String embed(DecoderGraph d);

    /** One decoder layer: [B,S,hidden] -> [B,S,hidden]. */
    public abstract String layer(DecoderGraph d, int layer, String x, Taps taps);

    /** Final norm (and projections) and the logits output. */
    public abstract void head(DecoderGraph d, String x);

    /**
     * The linear modules of a layer, in order, with the tap that feeds each. Names are module paths (the
     * weight is {@code <module>.weight}); GPT-2's are Conv1D modules with [in, out] weights.
     */
    public abstract Map<String, Tap> linearInputs(int layer);

    /**
     * The linear inputs every family's layer has, in the order the pruner visits them: the attention's input
     * projections, its output projection, the MLP's input projections and its output projection, each module a
     * name under its prefix ({@code attention} or {@code mlp}).
     */
    protected static Map<String, Tap> linearInputs(String attention, List<String> attentionInputs,
            String attentionOutput, String mlp, List<String> mlpInputs, String mlpOutput) {
        Map<String, Tap> inputs = new LinkedHashMap<>();
        attentionInputs.forEach(module -> inputs.put(attention + module, Tap.ATTENTION_INPUT));
        inputs.put(attention + attentionOutput, Tap.ATTENTION_CONTEXT);
        mlpInputs.forEach(module -> inputs.put(mlp + module, Tap.MLP_INPUT));
        inputs.put(mlp + mlpOutput, Tap.MLP_HIDDEN);
        return inputs;
    }

    /** The token embedding table [vocab, width] that {@link #embed} gathers from. */
    public final String embeddingName() {
        return embeddingName;
    }

    /** True when the family stores linear weights [in, out] (GPT-2's Conv1D). */
    public boolean weightsStoredInputMajor() {
        return false;
    }

    /** Heads of a projection, from its output width. */
    public static int heads(long projectionWidth, int headDim, String module) {
        if (projectionWidth % headDim != 0) {
            throw new IllegalArgumentException(module + ": width " + projectionWidth
                    + " is not a multiple of head_dim " + headDim);
        }
        return (int) (projectionWidth / headDim);
    }

    /** gelu_new, GPT-2's (and Gemma's below opset 20): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    protected static String geluTanh(GraphBuilder g, String path, String x) {
        String cube = g.mul(path + "/Mul_cube", g.mul(path + "/Mul_square", x, x), x);
        String inner = g.add(path + "/Add_inner", x, g.mul(path + "/Mul_coefficient", cube,
                g.scalar(path + "/coefficient", 0.044715f)));
        String tanh = g.unary("Tanh", path + "/Tanh",
                g.mul(path + "/Mul_scale", inner, g.scalar(path + "/scale", (float) Math.sqrt(2.0 / Math.PI))));
        return g.mul(path + "/Mul_output", g.mul(path + "/Mul_half", x, g.scalar(path + "/half", 0.5f)),
                g.add(path + "/Add_one", tanh, g.scalar(path + "/one", 1.0f)));
    }

    /**
     * RMSNorm: x / sqrt(mean(x^2) + eps) * weight, one ONNX RMSNormalization (opset 23, float32 statistics); below
     * opset 23 (the growing-cache export) the same in primitives (ReduceMean takes its axes as an attribute there).
     */
    protected static String rmsNorm(DecoderGraph d, String path, String weightName, String x, double eps) {
        GraphBuilder g = d.g;
        if (!g.hasFusedOps()) {
            String meanSquare = g.node("ReduceMean", path + "/ReduceMean", new String[] {g.mul(path + "/Mul_square", x, x)},
                    GraphBuilder.intsAttribute("axes", -1), GraphBuilder.intAttribute("keepdims", 1));
            String rms = g.unary("Sqrt", path + "/Sqrt",
                    g.add(path + "/Add_epsilon", meanSquare, g.scalar(path + "/epsilon", (float) eps)));
            return g.mul(path + "/Mul_weight", g.div(path + "/Div", x, rms), d.vector(weightName));
        }
        return g.node("RMSNormalization", path + "/RMSNormalization", new String[] {x, d.vector(weightName)},
                GraphBuilder.intAttribute("axis", -1), GraphBuilder.floatAttribute("epsilon", (float) eps));
    }

    /**
     * RMSNorm of each head of x [B,S,heads*D] with one weight [D] shared by every head (Qwen3's q_norm/k_norm):
     * <pre>
     * x [B,S,H*D] -Reshape-> [B,S,H,D] -RMSNorm(axis -1, weight [D])-> -Reshape-> [B,S,H*D]
     * </pre>
     */
    protected static String headRmsNorm(DecoderGraph d, String path, String weightName, String x, int heads,
            int headDim, double eps) {
        String perHead = d.g.reshape(path + "/Reshape_heads", x, 0, 0, heads, headDim);
        return d.g.reshape(path + "/Reshape", rmsNorm(d, path, weightName, perHead, eps), 0, 0, (long) heads * headDim);
    }

    /** LayerNormalization with the checkpoint's weight and bias (prefix ends with "."). */
    protected static String layerNorm(DecoderGraph d, String path, String prefix, String x, double eps) {
        return d.g.layerNorm(path + "/LayerNormalization", x, d.vector(prefix + "weight"), d.vector(prefix + "bias"),
                eps);
    }
}
