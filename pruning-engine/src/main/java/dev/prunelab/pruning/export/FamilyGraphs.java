package dev.prunelab.pruning.export;

import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.Gpt2Config;
import dev.prunelab.pruning.model.LlamaConfig;
import dev.prunelab.pruning.model.OptConfig;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.model.WeightNames.Gpt2;
import dev.prunelab.pruning.model.WeightNames.Llama;
import dev.prunelab.pruning.model.WeightNames.Opt;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The forward pass of each family in three pieces (embed, one decoder layer, head), node by node in Hugging
 * Face module paths. The exporter chains them into the full decoder; the pruner builds one-layer graphs from
 * the same code to calibrate block by block, reading the layer's linear inputs from its {@link Taps}.
 * Widths per layer come from the weight shapes, so a structurally pruned model exports the same way.
 */
public abstract class FamilyGraphs {

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
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Where a layer's taps were recorded while it was built. */
    static final class Taps {
        final Map<Tap, String> values = new LinkedHashMap<>();

        void record(Tap tap, String value) {
            values.put(tap, value);
        }
    }

    final DecoderConfig config;

    FamilyGraphs(DecoderConfig config) {
        this.config = config;
    }

    public static FamilyGraphs of(DecoderConfig config) {
        if (config instanceof LlamaConfig llama) {
            return new LlamaGraphs(llama);
        }
        if (config instanceof OptConfig opt) {
            return new OptGraphs(opt);
        }
        return new Gpt2Graphs((Gpt2Config) config);
    }

    /** Token (and position) embeddings: [B,S] ids -> [B,S,hidden]. */
    abstract String embed(DecoderGraph d);

    /** One decoder layer: [B,S,hidden] -> [B,S,hidden]. */
    abstract String layer(DecoderGraph d, int layer, String x, Taps taps);

    /** Final norm (and projections) and the logits output. */
    abstract void head(DecoderGraph d, String x);

    /**
     * The linear modules of a layer, in order, with the tap that feeds each. Names are module paths (the
     * weight is {@code <module>.weight}); GPT-2's are Conv1D modules with [in, out] weights.
     */
    public abstract Map<String, Tap> linearInputs(int layer);

    /** The token embedding table [vocab, width] that {@link #embed} gathers from. */
    public abstract String embeddingName();

    /** True when the family stores linear weights [in, out] (GPT-2's Conv1D). */
    public boolean weightsStoredInputMajor() {
        return false;
    }

    /** Key/value heads of every layer, read off the k (or fused qkv) projection shapes. */
    public static int[] kvHeadsPerLayer(DecoderConfig config, TensorSource weights) {
        int[] kvHeads = new int[config.numLayers()];
        for (int layer = 0; layer < kvHeads.length; layer++) {
            String module;
            long width;
            if (config instanceof Gpt2Config) {
                module = Gpt2.attention(layer, "c_attn");
                width = weights.info(module + ".weight").dimension(1) / 3;   // fused [in, q|k|v]
            } else {
                module = config instanceof LlamaConfig ? Llama.attention(layer, "k_proj") : Opt.attention(layer, "k_proj");
                width = weights.info(module + ".weight").dimension(0);
            }
            kvHeads[layer] = heads(width, config.headDim(), module);
        }
        return kvHeads;
    }

    /** Heads of a projection, from its output width. */
    static int heads(long projectionWidth, int headDim, String module) {
        if (projectionWidth % headDim != 0) {
            throw new IllegalArgumentException(module + ": width " + projectionWidth
                    + " is not a multiple of head_dim " + headDim);
        }
        return (int) (projectionWidth / headDim);
    }

    /** RMSNorm: x / sqrt(mean(x^2) + eps) * weight (opset 17 has no RMSNormalization operator). */
    static String rmsNorm(DecoderGraph d, String path, String weightName, String x, double eps) {
        GraphBuilder g = d.g;
        String meanSquare = g.reduceMean(path + "/ReduceMean", g.mul(path + "/Mul_square", x, x), -1);
        String root = g.unary("Sqrt", path + "/Sqrt",
                g.add(path + "/Add_eps", meanSquare, g.scalar(path + "/eps", (float) eps)));
        String normalised = g.div(path + "/Div", x, root);
        return g.mul(path + "/Mul_weight", normalised, d.vector(weightName));
    }

    /** LayerNormalization with the checkpoint's weight and bias (prefix ends with "."). */
    static String layerNorm(DecoderGraph d, String path, String prefix, String x, double eps) {
        return d.g.layerNorm(path + "/LayerNormalization", x, d.vector(prefix + "weight"), d.vector(prefix + "bias"),
                eps);
    }

    /**
     * Llama: x = embed(ids); per layer x += o(attn(rope(q,k), v)(rms(x))); x += down(silu(gate(h)) * up(h)),
     * h = rms(x); logits = lm_head(rms(x)).
     */
    static final class LlamaGraphs extends FamilyGraphs {
        private final LlamaConfig c;
        private String embedding;
        private DecoderGraph.Rotary rotary;

        LlamaGraphs(LlamaConfig config) {
            super(config);
            this.c = config;
        }

        @Override
        String embed(DecoderGraph d) {
            embedding = d.matrix(Llama.EMBED);
            return d.g.gather("/model/embed_tokens/Gather", embedding, d.inputIds, 0);
        }

        @Override
        String layer(DecoderGraph d, int layer, String x, Taps taps) {
            GraphBuilder g = d.g;
            if (rotary == null) {
                rotary = new DecoderGraph.Rotary(g, d.positionIds, c.headDim(), c.ropeTheta());
            }
            String path = "/model/layers." + layer;
            String normed = rmsNorm(d, path + "/input_layernorm", Llama.inputNorm(layer), x, c.rmsNormEps());
            taps.record(Tap.ATTENTION_INPUT, normed);
            String q = d.linear(path + "/self_attn/q_proj", Llama.attention(layer, "q_proj"), normed);
            String k = d.linear(path + "/self_attn/k_proj", Llama.attention(layer, "k_proj"), normed);
            String v = d.linear(path + "/self_attn/v_proj", Llama.attention(layer, "v_proj"), normed);
            int queryHeads = heads(d.info(Llama.attention(layer, "q_proj") + ".weight").dimension(0), c.headDim(),
                    Llama.attention(layer, "q_proj"));
            int kvHeads = heads(d.info(Llama.attention(layer, "k_proj") + ".weight").dimension(0), c.headDim(),
                    Llama.attention(layer, "k_proj"));
            String context = d.attention(path + "/self_attn", layer, q, k, v, queryHeads, kvHeads, c.headDim(), rotary);
            taps.record(Tap.ATTENTION_CONTEXT, context);
            String attended = d.linear(path + "/self_attn/o_proj", Llama.attention(layer, "o_proj"), context);
            x = g.add(path + "/Add_attention_residual", x, attended);

            String h = rmsNorm(d, path + "/post_attention_layernorm", Llama.postAttentionNorm(layer), x, c.rmsNormEps());
            taps.record(Tap.MLP_INPUT, h);
            String gate = d.linear(path + "/mlp/gate_proj", Llama.mlp(layer, "gate_proj"), h);
            String silu = g.mul(path + "/mlp/act_fn/Mul", gate, g.unary("Sigmoid", path + "/mlp/act_fn/Sigmoid", gate));
            String up = d.linear(path + "/mlp/up_proj", Llama.mlp(layer, "up_proj"), h);
            String product = g.mul(path + "/mlp/Mul", silu, up);
            taps.record(Tap.MLP_HIDDEN, product);
            String down = d.linear(path + "/mlp/down_proj", Llama.mlp(layer, "down_proj"), product);
            return g.add(path + "/Add_mlp_residual", x, down);
        }

        @Override
        void head(DecoderGraph d, String x) {
            String finalNorm = rmsNorm(d, "/model/norm", Llama.FINAL_NORM, x, c.rmsNormEps());
            String head = c.tieWordEmbeddings() || !d.has(Llama.LM_HEAD) ? embedding : d.matrix(Llama.LM_HEAD);
            d.logitsOutput(finalNorm, head, c.hiddenSize(), c.vocabSize());
        }

        @Override
        public String embeddingName() {
            return Llama.EMBED;
        }

        @Override
        public Map<String, Tap> linearInputs(int layer) {
            Map<String, Tap> inputs = new LinkedHashMap<>();
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj"}) {
                inputs.put(Llama.attention(layer, proj), Tap.ATTENTION_INPUT);
            }
            inputs.put(Llama.attention(layer, "o_proj"), Tap.ATTENTION_CONTEXT);
            inputs.put(Llama.mlp(layer, "gate_proj"), Tap.MLP_INPUT);
            inputs.put(Llama.mlp(layer, "up_proj"), Tap.MLP_INPUT);
            inputs.put(Llama.mlp(layer, "down_proj"), Tap.MLP_HIDDEN);
            return inputs;
        }
    }

    /**
     * OPT: x = embed(ids) [project_in] + positions(position_ids + 2); pre-LN blocks
     * (x += attn(ln(x)); x += fc2(relu(fc1(ln(x))))) or post-LN blocks (x = ln(x + attn(x)); x = ln(x + mlp(x)));
     * [final_layer_norm] [project_out]; logits against the tied embeddings.
     */
    static final class OptGraphs extends FamilyGraphs {
        private final OptConfig c;
        private String embedding;

        OptGraphs(OptConfig config) {
            super(config);
            this.c = config;
        }

        @Override
        String embed(DecoderGraph d) {
            GraphBuilder g = d.g;
            embedding = d.matrix(Opt.EMBED);
            String x = g.gather("/model/decoder/embed_tokens/Gather", embedding, d.inputIds, 0);
            if (c.projectsEmbeddings()) {
                x = d.linear("/model/decoder/project_in", Opt.PROJECT_IN.replace(".weight", ""), x);
            }
            String shifted = g.add("/model/decoder/embed_positions/Add_offset", d.positionIds,
                    g.int64Scalar(OptConfig.POSITION_OFFSET));
            String positions = g.gather("/model/decoder/embed_positions/Gather", d.matrix(Opt.POSITIONS), shifted, 0);
            return g.add("/model/decoder/Add_positions", x, positions);
        }

        @Override
        String layer(DecoderGraph d, int layer, String x, Taps taps) {
            GraphBuilder g = d.g;
            String path = "/model/decoder/layers." + layer;
            String attnNorm = Opt.norm(layer, "self_attn_layer_norm.");
            String mlpNorm = Opt.norm(layer, "final_layer_norm.");
            String attentionInput = c.layerNormBefore()
                    ? layerNorm(d, path + "/self_attn_layer_norm", attnNorm, x, c.layerNormEps()) : x;
            taps.record(Tap.ATTENTION_INPUT, attentionInput);
            String q = d.linear(path + "/self_attn/q_proj", Opt.attention(layer, "q_proj"), attentionInput);
            String k = d.linear(path + "/self_attn/k_proj", Opt.attention(layer, "k_proj"), attentionInput);
            String v = d.linear(path + "/self_attn/v_proj", Opt.attention(layer, "v_proj"), attentionInput);
            int heads = heads(d.info(Opt.attention(layer, "q_proj") + ".weight").dimension(0), c.headDim(),
                    Opt.attention(layer, "q_proj"));
            String context = d.attention(path + "/self_attn", layer, q, k, v, heads, heads, c.headDim(), null);
            taps.record(Tap.ATTENTION_CONTEXT, context);
            String attended = d.linear(path + "/self_attn/out_proj", Opt.attention(layer, "out_proj"), context);
            x = g.add(path + "/Add_attention_residual", x, attended);
            if (!c.layerNormBefore()) {
                x = layerNorm(d, path + "/self_attn_layer_norm", attnNorm, x, c.layerNormEps());
            }
            String mlpInput = c.layerNormBefore()
                    ? layerNorm(d, path + "/final_layer_norm", mlpNorm, x, c.layerNormEps()) : x;
            taps.record(Tap.MLP_INPUT, mlpInput);
            String fc1 = d.linear(path + "/fc1", Opt.mlp(layer, "fc1"), mlpInput);
            String relu = g.unary("Relu", path + "/activation_fn/Relu", fc1);
            taps.record(Tap.MLP_HIDDEN, relu);
            String fc2 = d.linear(path + "/fc2", Opt.mlp(layer, "fc2"), relu);
            x = g.add(path + "/Add_mlp_residual", x, fc2);
            if (!c.layerNormBefore()) {
                x = layerNorm(d, path + "/final_layer_norm", mlpNorm, x, c.layerNormEps());
            }
            return x;
        }

        @Override
        void head(DecoderGraph d, String x) {
            if (c.hasFinalLayerNorm()) {
                x = layerNorm(d, "/model/decoder/final_layer_norm", Opt.FINAL_NORM, x, c.layerNormEps());
            }
            if (c.projectsEmbeddings()) {
                x = d.linear("/model/decoder/project_out", Opt.PROJECT_OUT.replace(".weight", ""), x);
            }
            d.logitsOutput(x, embedding, c.wordEmbedProjDim(), c.vocabSize());
        }

        @Override
        public String embeddingName() {
            return Opt.EMBED;
        }

        @Override
        public Map<String, Tap> linearInputs(int layer) {
            Map<String, Tap> inputs = new LinkedHashMap<>();
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj"}) {
                inputs.put(Opt.attention(layer, proj), Tap.ATTENTION_INPUT);
            }
            inputs.put(Opt.attention(layer, "out_proj"), Tap.ATTENTION_CONTEXT);
            inputs.put(Opt.mlp(layer, "fc1"), Tap.MLP_INPUT);
            inputs.put(Opt.mlp(layer, "fc2"), Tap.MLP_HIDDEN);
            return inputs;
        }
    }

    /**
     * GPT-2: x = wte(ids) + wpe(position_ids); per layer x += c_proj(attn(split(c_attn(ln_1(x)))));
     * x += mlp(ln_2(x)) with gelu; logits = ln_f(x) against the tied wte.
     */
    static final class Gpt2Graphs extends FamilyGraphs {
        private final Gpt2Config c;
        private String wte;

        Gpt2Graphs(Gpt2Config config) {
            super(config);
            this.c = config;
        }

        @Override
        String embed(DecoderGraph d) {
            GraphBuilder g = d.g;
            wte = d.matrix(Gpt2.EMBED);
            return g.add("/transformer/Add_positions",
                    g.gather("/transformer/wte/Gather", wte, d.inputIds, 0),
                    g.gather("/transformer/wpe/Gather", d.matrix(Gpt2.POSITIONS), d.positionIds, 0));
        }

        @Override
        String layer(DecoderGraph d, int layer, String x, Taps taps) {
            GraphBuilder g = d.g;
            String path = "/transformer/h." + layer;
            String a = layerNorm(d, path + "/ln_1", Gpt2.norm(layer, "ln_1."), x, c.layerNormEps());
            taps.record(Tap.ATTENTION_INPUT, a);
            String cAttn = Gpt2.attention(layer, "c_attn");
            long qkvWidth = d.info(cAttn + ".weight").dimension(1);
            if (qkvWidth % 3 != 0) {
                throw new IllegalArgumentException(cAttn + ": output width " + qkvWidth + " is not 3 x attention width");
            }
            long width = qkvWidth / 3;
            String qkv = d.conv1d(path + "/attn/c_attn", cAttn, a);
            String q = g.slice(path + "/attn/Slice_q", qkv, 0, width, 2);
            String k = g.slice(path + "/attn/Slice_k", qkv, width, 2 * width, 2);
            String v = g.slice(path + "/attn/Slice_v", qkv, 2 * width, 3 * width, 2);
            int heads = heads(width, c.headDim(), cAttn);
            String context = d.attention(path + "/attn", layer, q, k, v, heads, heads, c.headDim(), null);
            taps.record(Tap.ATTENTION_CONTEXT, context);
            x = g.add(path + "/Add_attention_residual", x,
                    d.conv1d(path + "/attn/c_proj", Gpt2.attention(layer, "c_proj"), context));
            String m = layerNorm(d, path + "/ln_2", Gpt2.norm(layer, "ln_2."), x, c.layerNormEps());
            taps.record(Tap.MLP_INPUT, m);
            String fc = d.conv1d(path + "/mlp/c_fc", Gpt2.mlp(layer, "c_fc"), m);
            String activated = "gelu".equals(c.activation())
                    ? geluErf(g, path + "/mlp/act", fc) : geluTanh(g, path + "/mlp/act", fc);
            taps.record(Tap.MLP_HIDDEN, activated);
            return g.add(path + "/Add_mlp_residual", x,
                    d.conv1d(path + "/mlp/c_proj", Gpt2.mlp(layer, "c_proj"), activated));
        }

        @Override
        void head(DecoderGraph d, String x) {
            String normed = layerNorm(d, "/transformer/ln_f", Gpt2.FINAL_NORM, x, c.layerNormEps());
            d.logitsOutput(normed, wte, c.hiddenSize(), c.vocabSize());
        }

        @Override
        public String embeddingName() {
            return Gpt2.EMBED;
        }

        @Override
        public Map<String, Tap> linearInputs(int layer) {
            Map<String, Tap> inputs = new LinkedHashMap<>();
            inputs.put(Gpt2.attention(layer, "c_attn"), Tap.ATTENTION_INPUT);
            inputs.put(Gpt2.attention(layer, "c_proj"), Tap.ATTENTION_CONTEXT);
            inputs.put(Gpt2.mlp(layer, "c_fc"), Tap.MLP_INPUT);
            inputs.put(Gpt2.mlp(layer, "c_proj"), Tap.MLP_HIDDEN);
            return inputs;
        }

        @Override
        public boolean weightsStoredInputMajor() {
            return true;
        }

        /** gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
        static String geluTanh(GraphBuilder g, String path, String x) {
            String cube = g.mul(path + "/Mul_cube", g.mul(path + "/Mul_square", x, x), x);
            String inner = g.add(path + "/Add_inner", x, g.mul(path + "/Mul_coefficient", cube,
                    g.scalar(path + "/coefficient", 0.044715f)));
            String tanh = g.unary("Tanh", path + "/Tanh",
                    g.mul(path + "/Mul_scale", inner, g.scalar(path + "/scale", (float) Math.sqrt(2.0 / Math.PI))));
            return g.mul(path + "/Mul_output", g.mul(path + "/Mul_half", x, g.scalar(path + "/half", 0.5f)),
                    g.add(path + "/Add_one", tanh, g.scalar(path + "/one", 1.0f)));
        }

        /** Exact gelu: 0.5 x (1 + erf(x / sqrt 2)). */
        static String geluErf(GraphBuilder g, String path, String x) {
            String erf = g.unary("Erf", path + "/Erf",
                    g.mul(path + "/Mul_scale", x, g.scalar(path + "/scale", (float) (1.0 / Math.sqrt(2.0)))));
            return g.mul(path + "/Mul_output", g.mul(path + "/Mul_half", x, g.scalar(path + "/half", 0.5f)),
                    g.add(path + "/Add_one", erf, g.scalar(path + "/one", 1.0f)));
        }
    }
}
