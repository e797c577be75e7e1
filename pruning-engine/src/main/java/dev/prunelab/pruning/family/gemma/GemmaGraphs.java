package dev.prunelab.pruning.family.gemma;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.gemma.GemmaConfig.LayerType;
import dev.prunelab.pruning.family.gemma.GemmaConfig.Rope;
import dev.prunelab.pruning.graph.AttentionOptions;
import dev.prunelab.pruning.graph.DecoderGraph;
import dev.prunelab.pruning.graph.GraphBuilder;
import dev.prunelab.pruning.graph.Rotary;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Gemma 2 and 3, every norm n(x) = x / sqrt(mean(x²) + eps) · (1 + w):
 * <pre>
 * x = embed(ids) · sqrt(hidden)                                     (the scale rounded to the weights' dtype)
 * per layer:  h = n_input(x);  q, k, v = q_proj(h), k_proj(h), v_proj(h)
 *             Gemma 3: q, k = n_q(q), n_k(k) per head;  q, k = rope(q, k)   (local or global base by layer type)
 *             a = softmax(cap·tanh(q·kᵀ·s / cap) + mask) v,  s = query_pre_attn_scalar^-0.5
 *                 (Gemma 2's cap; a sliding layer's mask also hides keys a window or more back)
 *             x = x + n_post_attention(o_proj(a))
 *             x = x + n_post_feedforward(down(gelu_tanh(gate(m)) · up(m))),  m = n_pre_feedforward(x)
 * logits = cap·tanh(lm_head(n_final(x)) / cap)                      (Gemma 2's final cap)
 * </pre>
 */
final class GemmaGraphs extends FamilyGraphs {
    private final GemmaConfig c;
    private String normOffset;   // the 1 of (1 + w)
    private final Map<LayerType, Rotary> rotaries = new EnumMap<>(LayerType.class);

    GemmaGraphs(GemmaConfig config) {
        super(GemmaNames.EMBED);
        this.c = config;
    }

    @Override
    public String embed(DecoderGraph d) {
        String rows = d.tableRows("/model/embed_tokens", embeddingTable(d), d.inputIds);
        return d.g.mul("/model/embed_tokens/Mul_scale", rows,
                d.g.scalar("/model/embed_tokens/embed_scale", c.embeddingScale(d.info(GemmaNames.EMBED).dtype())));
    }

    @Override
    public String layer(DecoderGraph d, int layer, String x, Taps taps) {
        GraphBuilder g = d.g;
        String path = "/model/layers." + layer;
        String normed = norm(d, path + "/input_layernorm", GemmaNames.norm(layer, GemmaNames.INPUT_NORM), x);
        taps.record(Tap.ATTENTION_INPUT, normed);
        String qProj = GemmaNames.attention(layer, "q_proj");
        String kProj = GemmaNames.attention(layer, "k_proj");
        String q = d.linear(path + "/self_attn/q_proj", qProj, normed);
        String k = d.linear(path + "/self_attn/k_proj", kProj, normed);
        String v = d.linear(path + "/self_attn/v_proj", GemmaNames.attention(layer, "v_proj"), normed);
        int queryHeads = heads(d.info(qProj + ".weight").dimension(0), c.headDim(), qProj);
        int kvHeads = heads(d.info(kProj + ".weight").dimension(0), c.headDim(), kProj);
        if (c.qkNorm()) {
            q = headNorm(d, path + "/self_attn/q_norm", GemmaNames.attention(layer, "q_norm.weight"), q, queryHeads);
            k = headNorm(d, path + "/self_attn/k_norm", GemmaNames.attention(layer, "k_norm.weight"), k, kvHeads);
        }
        GemmaConfig.Attention a = c.attention();
        String context = d.attention(path + "/self_attn", layer, q, k, v, queryHeads, kvHeads, c.headDim(),
                rotary(d, a.layerTypes().get(layer)),
                new AttentionOptions(a.scale(), a.logitSoftcap(), a.window(layer)));
        taps.record(Tap.ATTENTION_CONTEXT, context);
        String attended = d.linear(path + "/self_attn/o_proj", GemmaNames.attention(layer, "o_proj"), context);
        attended = norm(d, path + "/post_attention_layernorm", GemmaNames.norm(layer, GemmaNames.POST_ATTENTION_NORM),
                attended);
        x = g.add(path + "/Add_attention_residual", x, attended);

        String h = norm(d, path + "/pre_feedforward_layernorm", GemmaNames.norm(layer, GemmaNames.PRE_FEEDFORWARD_NORM),
                x);
        taps.record(Tap.MLP_INPUT, h);
        String gate = d.linear(path + "/mlp/gate_proj", GemmaNames.mlp(layer, "gate_proj"), h);
        String up = d.linear(path + "/mlp/up_proj", GemmaNames.mlp(layer, "up_proj"), h);
        String product = g.mul(path + "/mlp/Mul", geluPytorchTanh(g, path + "/mlp/act_fn", gate), up);
        taps.record(Tap.MLP_HIDDEN, product);
        String down = d.linear(path + "/mlp/down_proj", GemmaNames.mlp(layer, "down_proj"), product);
        down = norm(d, path + "/post_feedforward_layernorm", GemmaNames.norm(layer, GemmaNames.POST_FEEDFORWARD_NORM),
                down);
        return g.add(path + "/Add_mlp_residual", x, down);
    }

    @Override
    public void head(DecoderGraph d, String x) {
        String finalNorm = norm(d, "/model/norm", GemmaNames.FINAL_NORM, x);
        GraphBuilder.StoredMatrix head = c.tieWordEmbeddings() || !d.has(GemmaNames.LM_HEAD) ? embeddingTable(d)
                : d.table(GemmaNames.LM_HEAD);
        d.logitsOutput(finalNorm, head, c.hiddenSize(), c.vocabSize(), c.finalLogitSoftcap());
    }

    @Override
    public Map<String, Tap> linearInputs(int layer) {
        return linearInputs(GemmaNames.attention(layer, ""), List.of("q_proj", "k_proj", "v_proj"), "o_proj",
                GemmaNames.mlp(layer, ""), List.of("gate_proj", "up_proj"), "down_proj");
    }

    /**
     * The rotary of a layer type: Gemma 2 has one for every layer; Gemma 3's full layers rotate with rope_theta (and
     * rope_scaling), its sliding ones with rope_local_base_freq, each its own pair of tables.
     */
    private Rotary rotary(DecoderGraph d, LayerType type) {
        Rope rope = type == LayerType.SLIDING ? c.attention().slidingRope() : c.attention().fullRope();
        boolean shared = c.attention().fullRope().equals(c.attention().slidingRope());
        LayerType key = shared ? LayerType.FULL : type;
        return rotaries.computeIfAbsent(key, t -> new Rotary(d.g, d.positionIds,
                t == LayerType.SLIDING ? "model.rotary_emb_local" : "model.rotary_emb", c.headDim(),
                Rotary.inverseFrequencies(c.headDim(), rope.theta(), rope.linearFactor()),
                c.contextLength()));
    }

    /**
     * Gemma's RMSNorm, in float32 as transformers computes it: x / sqrt(mean(x²) + eps) · (1 + w). The weight is
     * stored as it is in the checkpoint (so a re-read export gives the checkpoint's w); the Add of 1 to an
     * initializer is folded by ONNX Runtime when the session is created.
     */
    private String norm(DecoderGraph d, String path, String weightName, String x) {
        GraphBuilder g = d.g;
        if (normOffset == null) {
            normOffset = g.scalar("/model/constants/norm_offset", 1f);
        }
        String scale = g.add(path + "/Add_one", d.vector(weightName), normOffset);
        double eps = c.rmsNormEps();
        if (!g.hasFusedOps()) {
            String meanSquare = g.node("ReduceMean", path + "/ReduceMean", new String[] {g.mul(path + "/Mul_square", x, x)},
                    GraphBuilder.intsAttribute("axes", -1), GraphBuilder.intAttribute("keepdims", 1));
            String rms = g.unary("Sqrt", path + "/Sqrt",
                    g.add(path + "/Add_epsilon", meanSquare, g.scalar(path + "/epsilon", (float) eps)));
            return g.mul(path + "/Mul_weight", g.div(path + "/Div", x, rms), scale);
        }
        return g.node("RMSNormalization", path + "/RMSNormalization", new String[] {x, scale},
                GraphBuilder.intAttribute("axis", -1), GraphBuilder.floatAttribute("epsilon", (float) eps));
    }

    /** Gemma 3's q_norm/k_norm: the norm over each head_dim-wide head of x [B,S,heads*D], one weight for all heads. */
    private String headNorm(DecoderGraph d, String path, String weightName, String x, int heads) {
        GraphBuilder g = d.g;
        String perHead = g.reshape(path + "/Reshape_heads", x, 0, 0, heads, c.headDim());
        return g.reshape(path + "/Reshape", norm(d, path, weightName, perHead), 0, 0, (long) heads * c.headDim());
    }

    /**
     * transformers' gelu_pytorch_tanh, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x³))): one Gelu (approximate "tanh",
     * opset 20) where the graph's opset has it, else written out (the growing cache's opset 17).
     */
    private static String geluPytorchTanh(GraphBuilder g, String path, String x) {
        if (g.opset() >= 20) {
            return g.node("Gelu", path + "/Gelu", new String[] {x}, OnnxMl.AttributeProto.newBuilder()
                    .setName("approximate").setType(OnnxMl.AttributeProto.AttributeType.STRING)
                    .setS(ByteString.copyFromUtf8("tanh")).build());
        }
        return geluTanh(g, path, x);
    }
}
