package dev.prunelab.pruning.graph;

import ai.onnx.proto.OnnxMl;
import dev.prunelab.modelformat.DecoderIo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Causal self-attention with a KV cache, for projections already computed: one fused {@code Attention} per layer
 * (opset 23 and up), or the same in primitive operators for the growing-cache contract; and the mask biases its
 * layers share, each created with the first attention that needs it, so graphs without one carry no constant.
 */
final class CausalAttention {
    private static final OnnxMl.TensorProto.DataType FLOAT = OnnxMl.TensorProto.DataType.FLOAT;

    private final GraphBuilder g;
    private final Set<Integer> cachedLayers;
    private final String attentionAllowed;   // bool [B,1,S,T]: key j is visible to query i (causal and not padding)
    private final String queryPositions;     // int64 [S,1]: each new token's slot (its cache position)
    private final String keyPositions;       // int64 [1,T]: every key's slot
    private String attentionBias;
    private String visibleScore;
    private String maskedScore;
    private final Map<Integer, String> windowBiases = new HashMap<>();   // by sliding window

    CausalAttention(GraphBuilder g, Set<Integer> cachedLayers, String attentionAllowed, String queryPositions,
            String keyPositions) {
        this.g = g;
        this.cachedLayers = cachedLayers;
        this.attentionAllowed = attentionAllowed;
        this.queryPositions = queryPositions;
        this.keyPositions = keyPositions;
    }

    /**
     * Causal self-attention, for projections already computed: one ONNX {@code Attention} per layer, which groups
     * query heads over key/value heads (GQA) without copying K/V and scales by 1/sqrt(D). In a cached layer the new
     * keys and values are first written into the layer's fixed-capacity cache at the write index
     * ({@code TensorScatter}), and attention reads the whole cache, its unwritten slots masked:
     * <pre>
     * q [B,S,Hq*D]  -(RotaryEmbedding)---------------------------------------------+
     * k [B,S,Hkv*D] -(RotaryEmbedding)-TensorScatter(past_k [B,T,Hkv*D], w)-> present_k -+-Attention(bias [B,1,S,T])
     * v [B,S,Hkv*D] ------------------TensorScatter(past_v [B,T,Hkv*D], w)-> present_v -+   -> [B,S,Hq*D]
     * </pre>
     * One fused operator instead of the 30-odd elementwise, reshape and transpose nodes it replaces: at batch 1 a
     * decode step's small operators cost more in dispatch than in arithmetic (stories15M, one thread: 3.4 ms per
     * token with the node-by-node graph, while streaming its 61 MB of weights at the 26 GB/s one MatMul reached
     * alone would take about 2.3 ms). The in-place cache replaces Attention's own past/present, which copied the
     * whole past into a newly allocated present every step (stories15M, one thread, Java: 3.6 instead of 4.0 ms per
     * token, same tokens, measured side by side on a busy machine).
     *
     * <p>With {@code options}' departures: the {@code Attention} operator's {@code scale} and {@code softcap}
     * attributes (ONNX Runtime's CPU kernel caps the scores before it adds the mask, so masked keys keep zero weight),
     * and for a sliding-window layer a second mask bias that also hides the keys the window has passed. The in-place
     * cache keeps every position, so the banded mask is exact at any length. Without the fused operators (the
     * growing-cache export) the same attention is written in primitives.
     */
    String attention(String path, int layer, String q, String k, String v, int queryHeads, int kvHeads, int headDim,
            Rotary rotary, AttentionOptions options) {
        if (queryHeads % kvHeads != 0) {
            throw new IllegalArgumentException("layer " + layer + ": " + queryHeads
                    + " query heads are not a multiple of " + kvHeads + " key/value heads");
        }
        if (rotary != null) {
            q = rotary.apply(path + "/rotary_q", q, queryHeads);
            k = rotary.apply(path + "/rotary_k", k, kvHeads);
        }
        if (!g.hasFusedOps()) {
            return attentionOfPrimitives(path, layer, q, k, v, queryHeads, kvHeads, headDim, options);
        }
        String keys = k;
        String values = v;
        if (cachedLayers.contains(layer)) {
            keys = DecoderIo.presentKey(layer);
            values = DecoderIo.presentValue(layer);
            g.nodeTo("TensorScatter", path + "/TensorScatter_key",
                    new String[] {DecoderIo.pastKey(layer), k, DecoderIo.CACHE_WRITE_INDICES}, new String[] {keys},
                    GraphBuilder.intAttribute("axis", 1));
            g.nodeTo("TensorScatter", path + "/TensorScatter_value",
                    new String[] {DecoderIo.pastValue(layer), v, DecoderIo.CACHE_WRITE_INDICES}, new String[] {values},
                    GraphBuilder.intAttribute("axis", 1));
            g.output(keys, FLOAT, DecoderIo.BATCH_AXIS, DecoderIo.CACHE_SEQUENCE_AXIS, kvHeads * headDim);
            g.output(values, FLOAT, DecoderIo.BATCH_AXIS, DecoderIo.CACHE_SEQUENCE_AXIS, kvHeads * headDim);
        }
        String context = path + "/Attention_output_0";
        List<OnnxMl.AttributeProto> attributes = new ArrayList<>(List.of(
                GraphBuilder.intAttribute("q_num_heads", queryHeads),
                GraphBuilder.intAttribute("kv_num_heads", kvHeads)));
        if (!options.standardScale(headDim)) {
            attributes.add(GraphBuilder.floatAttribute("scale", (float) options.scale()));
        }
        if (options.softcap() > 0) {
            attributes.add(GraphBuilder.floatAttribute("softcap", (float) options.softcap()));
        }
        g.nodeTo("Attention", path + "/Attention", new String[] {q, keys, values, attentionBias(options)},
                new String[] {context}, attributes.toArray(new OnnxMl.AttributeProto[0]));
        return context;
    }

    /**
     * The same attention in operators every runtime has had since opset 13, for the growing-cache contract: the
     * past [B,Hkv,P,D] is concatenated with the new keys and values into the present [B,Hkv,P+S,D], key/value heads
     * are repeated for their query-head groups (Hugging Face's {@code repeat_kv}: kv head j serves query heads
     * j*G .. j*G+G-1), and the scores are scaled by 1/sqrt(D) before the mask's bias is added, as
     * {@code Attention} does:
     * <pre>
     * q [B,S,Hq*D] -Reshape-Transpose-> [B,Hq,S,D] ----------------------------------------+
     * k [B,S,Hkv*D] -Reshape-Transpose-Concat(past_k)-> present_k -repeat G-> [B,Hq,T,D] -MatMul(q, kᵀ) x 1/sqrt(D)
     *   + bias [B,1,S,T] -Softmax-> MatMul(v repeated) [B,Hq,S,D] -Transpose-Reshape-> [B,S,Hq*D]
     * </pre>
     */
    private String attentionOfPrimitives(String path, int layer, String q, String k, String v, int queryHeads,
            int kvHeads, int headDim, AttentionOptions options) {
        String queries = g.transpose(path + "/Transpose_q", g.reshape(path + "/Reshape_q", q, 0, 0, queryHeads, headDim),
                0, 2, 1, 3);
        String keys = g.transpose(path + "/Transpose_k", g.reshape(path + "/Reshape_k", k, 0, 0, kvHeads, headDim),
                0, 2, 1, 3);
        String values = g.transpose(path + "/Transpose_v", g.reshape(path + "/Reshape_v", v, 0, 0, kvHeads, headDim),
                0, 2, 1, 3);
        if (cachedLayers.contains(layer)) {
            g.nodeTo("Concat", path + "/Concat_key", new String[] {DecoderIo.pastKey(layer), keys},
                    new String[] {DecoderIo.presentKey(layer)}, GraphBuilder.intAttribute("axis", 2));
            g.nodeTo("Concat", path + "/Concat_value", new String[] {DecoderIo.pastValue(layer), values},
                    new String[] {DecoderIo.presentValue(layer)}, GraphBuilder.intAttribute("axis", 2));
            keys = DecoderIo.presentKey(layer);
            values = DecoderIo.presentValue(layer);
            g.output(keys, FLOAT, DecoderIo.BATCH_AXIS, kvHeads, DecoderIo.PRESENT_SEQUENCE_AXIS, headDim);
            g.output(values, FLOAT, DecoderIo.BATCH_AXIS, kvHeads, DecoderIo.PRESENT_SEQUENCE_AXIS, headDim);
        }
        if (queryHeads != kvHeads) {
            keys = repeatKv(path + "/repeat_k", keys, kvHeads, queryHeads / kvHeads, headDim);
            values = repeatKv(path + "/repeat_v", values, kvHeads, queryHeads / kvHeads, headDim);
        }
        String scores = g.matMul(path + "/MatMul_scores", queries, g.transpose(path + "/Transpose_key", keys, 0, 1, 3, 2));
        String scaled = g.mul(path + "/Mul_scale", scores, g.scalar(path + "/scale", (float) options.scale()));
        if (options.softcap() > 0) {
            // softcap·tanh(scores/softcap), before the mask: a masked key keeps float32's lowest score
            scaled = g.softcap(path + "/softcap", scaled, options.softcap());
        }
        String probabilities = g.node("Softmax", path + "/Softmax",
                new String[] {g.add(path + "/Add_bias", scaled, attentionBias(options))},
                GraphBuilder.intAttribute("axis", -1));
        String context = g.matMul(path + "/MatMul_context", probabilities, values);
        return g.reshape(path + "/Reshape_context", g.transpose(path + "/Transpose_context", context, 0, 2, 1, 3),
                0, 0, (long) queryHeads * headDim);
    }

    /** [B,Hkv,T,D] -> [B,Hkv*G,T,D], each kv head repeated G times in place (Unsqueeze, Expand, Reshape). */
    private String repeatKv(String path, String x, int kvHeads, int groups, int headDim) {
        String shape = g.unary("Shape", path + "/Shape", x);
        String expanded = g.concat(path + "/Concat_shape", 0, g.slice(path + "/Slice_batch_heads", shape, 0, 2, 0),
                g.int64(groups), g.slice(path + "/Slice_positions_dim", shape, 2, 4, 0));
        String repeated = g.node("Expand", path + "/Expand",
                new String[] {g.unsqueeze(path + "/Unsqueeze", x, 2), expanded});
        return g.reshape(path + "/Reshape", repeated, 0, (long) kvHeads * groups, -1, headDim);
    }

    /**
     * float [B,1,S,T]: 0 where a key is visible, float32's lowest where not, added to the scores. A float bias
     * rather than the boolean mask, whose masked scores are -inf: a fully masked row (a padding query) then
     * stays finite instead of turning into NaN and spreading through its keys to the next layer.
     */
    private String attentionBias() {
        if (attentionBias == null) {
            attentionBias = g.where("/model/attn_mask/Where_bias", attentionAllowed, visibleScore(), maskedScore());
        }
        return attentionBias;
    }

    private String attentionBias(AttentionOptions options) {
        return options.slidingWindow() > 0 ? slidingWindowBias(options.slidingWindow()) : attentionBias();
    }

    /**
     * The bias of a sliding-window layer, one per window size: the causal and padding mask, and also hidden every
     * key the window has passed (key position j &lt;= query position i - window):
     * <pre>
     * query positions [S,1] - key positions [1,T] -LessOrEqual(window - 1)-> [S,T] --And(allowed)-> Where -> [B,1,S,T]
     * </pre>
     */
    private String slidingWindowBias(int window) {
        return windowBiases.computeIfAbsent(window, w -> {
            String p = "/model/attn_mask/sliding_window_" + w + "/";
            String distance = g.sub(p + "Sub_distance", queryPositions, keyPositions);
            String inWindow = g.node("LessOrEqual", p + "LessOrEqual_window",
                    new String[] {distance, g.int64Scalar(w - 1L)});
            String allowed = g.node("And", p + "And", new String[] {attentionAllowed, inWindow});
            return g.where(p + "Where_bias", allowed, visibleScore(), maskedScore());
        });
    }

    private String visibleScore() {
        if (visibleScore == null) {
            visibleScore = g.scalar("/model/constants/visible_score", 0f);
        }
        return visibleScore;
    }

    private String maskedScore() {
        if (maskedScore == null) {
            maskedScore = g.scalar("/model/constants/masked_score", GraphBuilder.MASKED_SCORE);
        }
        return maskedScore;
    }
}
