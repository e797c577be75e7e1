package dev.prunelab.pruning.graph;

import ai.onnx.proto.OnnxMl;
import dev.prunelab.modelformat.CacheInterface;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.pruning.model.ModelFormatException;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.quantize.BlockQuantizer;
import dev.prunelab.pruning.quantize.LinearQuantization;

/**
 * The parts every decoder family shares: graph inputs, the attention mask, linear layers read from the
 * checkpoint, and causal self-attention with a KV cache. Family classes compose these into their blocks.
 */
public final class DecoderGraph {
    private static final OnnxMl.TensorProto.DataType FLOAT = OnnxMl.TensorProto.DataType.FLOAT;
    private static final OnnxMl.TensorProto.DataType INT64 = OnnxMl.TensorProto.DataType.INT64;

    public final GraphBuilder g;
    public final TensorSource weights;
    public final String inputIds;
    public final String positionIds;
    /** bool [batch, 1, sequence, total_sequence]: key j is visible to query i (causal and not padding). */
    public final String attentionAllowed;
    private String attentionBias;   // created with the first attention, so graphs without one carry no constant
    private String visibleScore;
    private String maskedScore;
    private final java.util.Map<Integer, String> windowBiases = new java.util.HashMap<>();   // by sliding window
    private final String queryPositions;   // int64 [S,1]: each new token's slot (its cache position)
    private final String keyPositions;     // int64 [1,T]: every key's slot
    private final java.util.Set<Integer> cachedLayers;
    private final CacheInterface cacheInterface;
    private LinearQuantization quantization = LinearQuantization.FLOAT;
    private java.util.Set<String> quantizedModules = java.util.Set.of();

    /** Graph input holding hidden states in block and embedding-free graphs: [batch, sequence, hidden]. */
    public static final String HIDDEN_STATES = "hidden_states";

    /**
     * Declares the inputs and builds the mask.
     * <pre>
     * attention_mask [B,T] --Cast(bool)--Unsqueeze--> [B,1,1,T] --+
     * Range(w, w + S) [S,1] >= Range(0, T) [1,T]  (causal) [S,T] --And--> allowed [B,1,S,T]
     * </pre>
     * With a cache, T is the cache's capacity and w its write index (the past length); without one (calibration
     * graphs) T is the sequence and w = 0.
     *
     * @param cachedLayers    the layers whose past/present key and value this graph carries: every layer in the
     *                        exported decoder, none in calibration graphs (one full pass, nothing to keep)
     * @param hiddenInputWidth 0 for a graph that starts from {@code input_ids}; else the width of a
     *                        {@value #HIDDEN_STATES} input (a single-block calibration graph)
     */
    public DecoderGraph(GraphBuilder g, TensorSource weights, int[] kvHeadsPerLayer, int headDim, int[] cachedLayers,
            int hiddenInputWidth) {
        this(g, weights, kvHeadsPerLayer, headDim, cachedLayers, hiddenInputWidth, CacheInterface.IN_PLACE);
    }

    /**
     * @param cacheInterface the cached layers' contract ({@link DecoderIo}): in place (opset 24), or growing, whose
     *                       past and present are [B, kv_heads, positions, D] and whose graph must be built at opset 17
     */
    public DecoderGraph(GraphBuilder g, TensorSource weights, int[] kvHeadsPerLayer, int headDim, int[] cachedLayers,
            int hiddenInputWidth, CacheInterface cacheInterface) {
        if (cacheInterface == CacheInterface.GROWING && g.hasFusedOps()) {
            throw new IllegalArgumentException("the growing cache is written with opset " + cacheInterface.opset()
                    + " operators; the graph imports opset " + g.opset());
        }
        this.g = g;
        this.weights = weights;
        this.cacheInterface = cacheInterface;
        if (hiddenInputWidth == 0) {
            g.input(DecoderIo.INPUT_IDS, INT64, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS);
            inputIds = DecoderIo.INPUT_IDS;
        } else {
            g.input(HIDDEN_STATES, FLOAT, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS, hiddenInputWidth);
            inputIds = null;
        }
        // "in place": a cache of fixed capacity and a write index; "growing" and calibration: a mask as long as
        // the past and the new positions, the new ones last
        boolean inPlace = cachedLayers.length > 0 && cacheInterface == CacheInterface.IN_PLACE;
        g.input(DecoderIo.ATTENTION_MASK, INT64, DecoderIo.BATCH_AXIS,
                inPlace ? DecoderIo.CACHE_SEQUENCE_AXIS : DecoderIo.TOTAL_SEQUENCE_AXIS);
        g.input(DecoderIo.POSITION_IDS, INT64, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS);
        if (inPlace) {
            g.input(DecoderIo.CACHE_WRITE_INDICES, INT64, DecoderIo.BATCH_AXIS);
        }
        this.cachedLayers = new java.util.HashSet<>();
        for (int layer : cachedLayers) {
            this.cachedLayers.add(layer);
            if (inPlace) {
                int width = kvHeadsPerLayer[layer] * headDim;
                g.input(DecoderIo.pastKey(layer), FLOAT, DecoderIo.BATCH_AXIS, DecoderIo.CACHE_SEQUENCE_AXIS, width);
                g.input(DecoderIo.pastValue(layer), FLOAT, DecoderIo.BATCH_AXIS, DecoderIo.CACHE_SEQUENCE_AXIS, width);
            } else {
                int heads = kvHeadsPerLayer[layer];
                g.input(DecoderIo.pastKey(layer), FLOAT, DecoderIo.BATCH_AXIS, heads, DecoderIo.PAST_SEQUENCE_AXIS,
                        headDim);
                g.input(DecoderIo.pastValue(layer), FLOAT, DecoderIo.BATCH_AXIS, heads, DecoderIo.PAST_SEQUENCE_AXIS,
                        headDim);
            }
        }
        positionIds = DecoderIo.POSITION_IDS;

        String p = "/model/attn_mask/";
        String sequence = g.gather(p + "Gather_sequence", g.unary("Shape", p + "Shape_positions", positionIds),
                g.int64Scalar(1), 0);
        String total = g.gather(p + "Gather_total",
                g.unary("Shape", p + "Shape_mask", DecoderIo.ATTENTION_MASK), g.int64Scalar(1), 0);
        String queryPositions;
        if (inPlace) {
            // rows share the write index (one batch advances together): row 0's is every row's
            String past = g.gather(p + "Gather_write_index", DecoderIo.CACHE_WRITE_INDICES, g.int64Scalar(0), 0);
            queryPositions = g.node("Range", p + "Range_query",
                    new String[] {past, g.add(p + "Add_query_end", past, sequence), g.int64Scalar(1)});
        } else {
            queryPositions = g.node("Range", p + "Range_query",
                    new String[] {g.sub(p + "Sub_past", total, sequence), total, g.int64Scalar(1)});
        }
        queryPositions = g.unsqueeze(p + "Unsqueeze_query", queryPositions, 1);
        String keyPositions = g.unsqueeze(p + "Unsqueeze_key",
                g.node("Range", p + "Range_key", new String[] {g.int64Scalar(0), total, g.int64Scalar(1)}), 0);
        this.queryPositions = queryPositions;
        this.keyPositions = keyPositions;
        String causal = g.node("LessOrEqual", p + "LessOrEqual_causal", new String[] {keyPositions, queryPositions});
        String padding = g.unsqueeze(p + "Unsqueeze_padding",
                g.cast(p + "Cast_padding", DecoderIo.ATTENTION_MASK, OnnxMl.TensorProto.DataType.BOOL), 1, 2);
        attentionAllowed = g.node("And", p + "And", new String[] {causal, padding});
    }

    /** Exposes an intermediate tensor as a named graph output (calibration taps, block outputs). */
    public void namedOutput(String value, String outputName, Object... dims) {
        g.nodeTo("Identity", "/outputs/" + outputName, new String[] {value}, new String[] {outputName});
        g.output(outputName, FLOAT, dims);
    }

    public void logitsOutput(String hidden, String embeddingOrHead, int width, int vocab) {
        logitsOutput(hidden, embeddingOrHead, width, vocab, 0);
    }

    /** @param softcap logits become softcap·tanh(logits/softcap) (Gemma 2's final_logit_softcapping); 0 for none */
    public void logitsOutput(String hidden, String embeddingOrHead, int width, int vocab, double softcap) {
        // [B,S,H] -> [B*S,H] x [V,H]^T -> [B*S,V] -> [B,S,V]: Gemm reads the tied embedding without a copy
        String flat = g.reshape("/lm_head/Reshape_flat", hidden, -1, width);
        String logits = g.gemmTransB("/lm_head/Gemm", flat, embeddingOrHead);
        if (softcap > 0) {
            logits = softcap("/lm_head/softcap", logits, softcap);
        }
        String shape = g.concat("/lm_head/Concat_shape", 0,
                g.slice("/lm_head/Slice_shape", g.unary("Shape", "/lm_head/Shape", hidden), 0, 2, 0), g.int64(vocab));
        g.nodeTo("Reshape", "/lm_head/Reshape", new String[] {logits, shape}, new String[] {DecoderIo.LOGITS});
        g.output(DecoderIo.LOGITS, FLOAT, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS, vocab);
    }

    // ---- weights ------------------------------------------------------------------------------------------

    public TensorInfo info(String name) {
        return weights.info(name);
    }

    public boolean has(String name) {
        return weights.contains(name);
    }

    /** A vector (norm weight, bias) as a float32 initializer of the export dtype. */
    public String vector(String name) {
        TensorInfo info = weights.info(name);
        if (info.rank() != 1) {
            throw new ModelFormatException(info.file(), name, "expected a vector, found rank " + info.rank());
        }
        return g.weight(name, weights.readFloats(name), info.dimension(0));
    }

    /** A matrix stored as it is in the checkpoint (embeddings, position tables, the LM head for Gemm). */
    public String matrix(String name) {
        TensorInfo info = weights.info(name);
        if (info.rank() != 2) {
            throw new ModelFormatException(info.file(), name, "expected a matrix, found rank " + info.rank());
        }
        return g.weight(name, weights.readFloats(name), info.dimension(0), info.dimension(1));
    }

    /**
     * x @ W^T (+ b) for a Hugging Face Linear with weight [out, in]; the weight is stored transposed
     * ([in, out]) so ONNX Runtime multiplies it without a runtime transpose.
     */
    public String linear(String nodePath, String module, String x) {
        TensorInfo info = weights.info(module + ".weight");
        int out = (int) info.dimension(0);
        int in = (int) info.dimension(1);
        if (quantizedModules.contains(module)) {
            float[] w = weights.readFloats(module + ".weight");
            return addBiasIfPresent(nodePath, module, matMulNBits(nodePath, module, x, w, out, in));
        }
        String weight = g.weight(module + ".MatMul.weight",
                Matrices.transpose(weights.readFloats(module + ".weight"), out, in), in, out);
        String y = g.matMul(nodePath + "/MatMul", x, weight);
        return addBiasIfPresent(nodePath, module, y);
    }

    /** x @ W (+ b) for a GPT-2 Conv1D whose weight is already [in, out]. */
    public String conv1d(String nodePath, String module, String x) {
        if (quantizedModules.contains(module)) {
            TensorInfo info = weights.info(module + ".weight");
            int in = (int) info.dimension(0);
            int out = (int) info.dimension(1);
            float[] w = Matrices.transpose(weights.readFloats(module + ".weight"), in, out); // -> [out, in]
            return addBiasIfPresent(nodePath, module, matMulNBits(nodePath, module, x, w, out, in));
        }
        String weight = matrix(module + ".weight");
        return addBiasIfPresent(nodePath, module, g.matMul(nodePath + "/MatMul", x, weight));
    }

    /**
     * Stores the linear modules named in {@code modules} (Hugging Face module paths) as {@code quantization} says;
     * every other matrix (embeddings, head, calibration graphs) stays float.
     */
    public void quantize(java.util.Set<String> modules, LinearQuantization quantization) {
        this.quantization = quantization;
        this.quantizedModules = quantization.quantized() ? java.util.Set.copyOf(modules) : java.util.Set.of();
    }

    /**
     * x @ Wᵀ with W [N=out, K=in] as int4 blocks ({@link BlockQuantizer}); float16 exports keep float16 scales, and
     * since the op's scales and A share one type, the input is cast to float16 and the output back:
     * <pre>
     * x [B,S,K] (--Cast f16) --MatMulNBits(B [N,blocks,blob] uint8, scales [N·blocks]; K, N, bits, block_size,
     *                           accuracy_level)--> [B,S,N] (--Cast f32)
     * </pre>
     */
    private String matMulNBits(String nodePath, String module, String x, float[] w, int out, int in) {
        BlockQuantizer.Quantized q = BlockQuantizer.quantize(w, out, in, quantization.blockSize());
        // weights that dequantize to exactly 0: every code-8 nibble except the padding up to whole blocks
        long zeros = -(long) out * (q.blocksPerRow() * quantization.blockSize() - in);
        for (byte b : q.packed()) {
            zeros += ((b & 0x0f) == BlockQuantizer.ZERO_CODE ? 1 : 0) + (((b & 0xff) >>> 4) == BlockQuantizer.ZERO_CODE ? 1 : 0);
        }
        String bName = module + ".MatMulNBits.qweight";
        g.addInitializer(g.initializers().packedWeight(bName, q.packed(), (long) out * in, zeros, out,
                q.blocksPerRow(), q.blobBytes()));
        String scalesName = module + ".MatMulNBits.scales";
        boolean half = g.initializers().float16();
        g.addInitializer(half ? g.initializers().float16(scalesName, q.scales(), q.scales().length)
                : g.initializers().float32(scalesName, q.scales(), q.scales().length));
        String a = half ? g.cast(nodePath + "/Cast_input", x, OnnxMl.TensorProto.DataType.FLOAT16) : x;
        String y = g.contribNode("MatMulNBits", nodePath + "/MatMulNBits", new String[] {a, bName, scalesName},
                GraphBuilder.intAttribute("K", in), GraphBuilder.intAttribute("N", out),
                GraphBuilder.intAttribute("bits", quantization.bits()),
                GraphBuilder.intAttribute("block_size", quantization.blockSize()),
                GraphBuilder.intAttribute("accuracy_level", quantization.accuracyLevel()));
        return half ? g.cast(nodePath + "/Cast_output", y, FLOAT) : y;
    }

    private String addBiasIfPresent(String nodePath, String module, String y) {
        if (!weights.contains(module + ".bias")) {
            return y;
        }
        return g.add(nodePath + "/Add", y, vector(module + ".bias"));
    }

    // ---- attention -----------------------------------------------------------------------------------------

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
     */
    public String attention(String path, int layer, String q, String k, String v, int queryHeads, int kvHeads, int headDim,
            Rotary rotary) {
        return attention(path, layer, q, k, v, queryHeads, kvHeads, headDim, rotary, AttentionOptions.standard(headDim));
    }

    /**
     * How one layer's attention departs from softmax(q·kᵀ/sqrt(D) + mask) over every earlier position: Gemma's
     * query_pre_attn_scalar and attention logit soft-capping, the sliding windows of Gemma, Mistral and Phi-3.
     *
     * @param scale         multiplies q·kᵀ
     * @param softcap       scores become softcap·tanh(scores/softcap) before the mask is added; 0 for none
     * @param slidingWindow a query at position i sees keys at positions i - window &lt; j &lt;= i (Hugging Face's
     *                      sliding_window_overlay); 0 for every earlier position
     */
    public record AttentionOptions(double scale, double softcap, int slidingWindow) {
        public AttentionOptions {
            if (!(scale > 0) || Double.isInfinite(scale)) {
                throw new IllegalArgumentException("attention scale must be positive and finite, was " + scale);
            }
            if (!(softcap >= 0) || Double.isInfinite(softcap)) {
                throw new IllegalArgumentException("attention softcap must be 0 (none) or positive, was " + softcap);
            }
            if (slidingWindow < 0) {
                throw new IllegalArgumentException("sliding window must be 0 (none) or positive, was " + slidingWindow);
            }
        }

        /** 1/sqrt(D), no soft cap, every earlier position visible. */
        public static AttentionOptions standard(int headDim) {
            return new AttentionOptions(1.0 / Math.sqrt(headDim), 0, 0);
        }

        boolean standardScale(int headDim) {
            return (float) scale == (float) (1.0 / Math.sqrt(headDim));
        }
    }

    /**
     * {@link #attention(String, int, String, String, String, int, int, int, Rotary)} with these departures: the
     * {@code Attention} operator's {@code scale} and {@code softcap} attributes (ONNX Runtime's CPU kernel caps the
     * scores before it adds the mask, so masked keys keep zero weight), and for a sliding-window layer a second mask
     * bias that also hides the keys the window has passed. The in-place cache keeps every position, so the banded
     * mask is exact at any length.
     */
    public String attention(String path, int layer, String q, String k, String v, int queryHeads, int kvHeads, int headDim,
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
        java.util.List<OnnxMl.AttributeProto> attributes = new java.util.ArrayList<>(java.util.List.of(
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
            scaled = softcap(path + "/softcap", scaled, options.softcap());
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

    /** cap·tanh(x/cap), elementwise (Gemma 2's attention and final logit soft-capping). */
    public String softcap(String path, String x, double cap) {
        String capValue = g.scalar(path + "/cap", (float) cap);
        return g.mul(path + "/Mul", g.unary("Tanh", path + "/Tanh", g.div(path + "/Div", x, capValue)), capValue);
    }

    /**
     * Hugging Face "rotate_half" rotary embedding as ONNX {@code RotaryEmbedding} (opset 23, not interleaved), with
     * cos/sin tables [positions, D/2] computed once at export (in double, rounded to float) for every position the
     * model's context admits.
     */
    public static final class Rotary {
        private final GraphBuilder g;
        private final String positionIds;
        private final String cos;
        private final String sin;
        private final int headDim;
        private final int rotaryDim;   // the leading dimensions of each head that rotate (Phi-3's partial rotary)
        private final String module;   // "model.rotary_emb": names the tables and the nodes that gather them
        private String cosByPosition;  // the tables gathered for this graph's positions, [B,S,1,D] (primitive path)
        private String sinByPosition;

        /** angle[p, i] = p * theta^(-2i/D), i < D/2, p < {@code positions}. */
        public Rotary(GraphBuilder g, String positionIds, int headDim, double theta, int positions) {
            this(g, positionIds, "model.rotary_emb", headDim, inverseFrequencies(headDim, theta, 1.0), positions);
        }

        /**
         * angle[p, i] = p * inverseFrequencies[i], i < R/2, p < {@code positions}; {@code module} names the tables, so a
         * graph can hold two rotations (Gemma 3's global and local bases). R = 2 * inverseFrequencies.length is the
         * rotary dimension: the first R dimensions of each head rotate (rotate_half within them) and the other D - R
         * pass through, as Phi-3's partial_rotary_factor says (R = D for every other model).
         */
        public Rotary(GraphBuilder g, String positionIds, String module, int headDim, double[] inverseFrequencies,
                int positions) {
            this.g = g;
            this.positionIds = positionIds;
            this.headDim = headDim;
            this.module = module;
            int half = inverseFrequencies.length;
            this.rotaryDim = 2 * half;
            if (half == 0 || rotaryDim > headDim) {
                throw new IllegalArgumentException(module + ": " + inverseFrequencies.length
                        + " inverse frequencies for head_dim " + headDim);
            }
            float[] cosTable = new float[positions * half];
            float[] sinTable = new float[positions * half];
            for (int i = 0; i < half; i++) {
                for (int p = 0; p < positions; p++) {
                    double angle = p * inverseFrequencies[i];
                    cosTable[p * half + i] = (float) Math.cos(angle);
                    sinTable[p * half + i] = (float) Math.sin(angle);
                }
            }
            cos = g.floatConstant(module + ".cos_cache", cosTable, positions, half);
            sin = g.floatConstant(module + ".sin_cache", sinTable, positions, half);
        }

        /** theta^(-2i/D) / linearFactor for i < D/2 (Hugging Face's default rotary, and its "linear" scaling). */
        public static double[] inverseFrequencies(int headDim, double theta, double linearFactor) {
            double[] inverse = new double[headDim / 2];
            for (int i = 0; i < inverse.length; i++) {
                inverse[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim) / linearFactor;
            }
            return inverse;
        }

        /**
         * x*cos + rotate_half(x)*sin per head of x [B,S,heads*D], rotate_half(x) = [-x2, x1] for halves x1 | x2 of the
         * first R dimensions (the operator's rotary_embedding_dim where R &lt; D; the rest pass through).
         */
        public String apply(String path, String x, int heads) {
            if (!g.hasFusedOps()) {
                return applyWithPrimitives(path, x, heads);
            }
            if (rotaryDim < headDim) {
                return g.node("RotaryEmbedding", path + "/RotaryEmbedding", new String[] {x, cos, sin, positionIds},
                        GraphBuilder.intAttribute("num_heads", heads),
                        GraphBuilder.intAttribute("rotary_embedding_dim", rotaryDim));
            }
            return g.node("RotaryEmbedding", path + "/RotaryEmbedding", new String[] {x, cos, sin, positionIds},
                    GraphBuilder.intAttribute("num_heads", heads));
        }

        /**
         * The same rotation in opset-13 operators (the growing-cache export):
         * <pre>
         * cos [P,R/2] -Gather(position_ids)-> [B,S,R/2] -Concat(itself)-> [B,S,R] -Unsqueeze-> [B,S,1,R]  (once)
         * x [B,S,H*D] -Reshape-> [B,S,H,D]: x*cos + Concat(-x2, x1)*sin -Reshape-> [B,S,H*D]
         * </pre>
         * With R &lt; D the rotation is of the slice x[..., :R], concatenated with the untouched x[..., R:].
         */
        private String applyWithPrimitives(String path, String x, int heads) {
            if (cosByPosition == null) {
                String nodePath = "/" + module.replace('.', '/');
                cosByPosition = byPosition(nodePath + "/cos", cos);
                sinByPosition = byPosition(nodePath + "/sin", sin);
            }
            int half = rotaryDim / 2;
            String perHead = g.reshape(path + "/Reshape_heads", x, 0, 0, heads, headDim);
            String rotating = rotaryDim < headDim ? g.slice(path + "/Slice_rotary", perHead, 0, rotaryDim, 3) : perHead;
            String first = g.slice(path + "/Slice_first_half", rotating, 0, half, 3);
            String second = g.slice(path + "/Slice_second_half", rotating, half, rotaryDim, 3);
            String rotated = g.concat(path + "/Concat_rotate_half", 3, g.unary("Neg", path + "/Neg", second), first);
            String sum = g.add(path + "/Add", g.mul(path + "/Mul_cos", rotating, cosByPosition),
                    g.mul(path + "/Mul_sin", rotated, sinByPosition));
            if (rotaryDim < headDim) {
                sum = g.concat(path + "/Concat_pass", 3, sum, g.slice(path + "/Slice_pass", perHead, rotaryDim, headDim, 3));
            }
            return g.reshape(path + "/Reshape", sum, 0, 0, (long) heads * headDim);
        }

        private String byPosition(String path, String table) {
            String gathered = g.gather(path + "/Gather", table, positionIds, 0);
            return g.unsqueeze(path + "/Unsqueeze", g.concat(path + "/Concat", -1, gathered, gathered), 2);
        }
    }
}
