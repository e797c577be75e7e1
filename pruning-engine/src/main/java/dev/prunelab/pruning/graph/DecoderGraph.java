package dev.prunelab.pruning.graph;

import ai.onnx.proto.OnnxMl;
import dev.prunelab.modelformat.CacheInterface;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.pruning.model.TensorInfo;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.quantize.LinearQuantization;
import java.util.HashSet;
import java.util.Set;

/**
 * The parts every decoder family shares: graph inputs, the attention mask, linear layers read from the
 * checkpoint ({@link LinearWeights}), and causal self-attention with a KV cache ({@link CausalAttention},
 * {@link Rotary}). Family classes compose these into their blocks.
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
    private final LinearWeights linear;
    private final CausalAttention attention;

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
        this.linear = new LinearWeights(g, weights);
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
        Set<Integer> cached = new HashSet<>();
        for (int layer : cachedLayers) {
            cached.add(layer);
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
        String causal = g.node("LessOrEqual", p + "LessOrEqual_causal", new String[] {keyPositions, queryPositions});
        String padding = g.unsqueeze(p + "Unsqueeze_padding",
                g.cast(p + "Cast_padding", DecoderIo.ATTENTION_MASK, OnnxMl.TensorProto.DataType.BOOL), 1, 2);
        attentionAllowed = g.node("And", p + "And", new String[] {causal, padding});
        attention = new CausalAttention(g, cached, attentionAllowed, queryPositions, keyPositions);
    }

    /** Exposes an intermediate tensor as a named graph output (calibration taps, block outputs). */
    public void namedOutput(String value, String outputName, Object... dims) {
        g.nodeTo("Identity", "/outputs/" + outputName, new String[] {value}, new String[] {outputName});
        g.output(outputName, FLOAT, dims);
    }

    public void logitsOutput(String hidden, GraphBuilder.StoredMatrix embeddingOrHead, int width, int vocab) {
        logitsOutput(hidden, embeddingOrHead, width, vocab, 0);
    }

    /**
     * ONNX Runtime folds a Cast of a constant only when its output is at most this size (constant_folding.cc); an
     * unfolded Cast re-expands the whole float16 head on every run, and ONNX Runtime 1.29 aborts the process at
     * ORT_ENABLE_ALL on graphs that keep such Casts (the 128256 x 4096 head of Llama 3 8B, 2.1 GB in float32).
     */
    static final long FOLDED_CAST_LIMIT_BYTES = 1L << 30;
    private long headPartLimitBytes = FOLDED_CAST_LIMIT_BYTES;

    /** Splits a float16 head whose float32 copy exceeds {@code bytes} (tests split small heads). */
    void splitHeadAbove(long bytes) {
        headPartLimitBytes = bytes;
    }

    /**
     * @param softcap logits become softcap·tanh(logits/softcap) (Gemma 2's final_logit_softcapping); 0 for none
     */
    public void logitsOutput(String hidden, GraphBuilder.StoredMatrix embeddingOrHead, int width, int vocab,
            double softcap) {
        // [B,S,H] -> [B*S,H] x [V,H]^T -> [B*S,V] -> [B,S,V]: Gemm reads the tied embedding without a copy
        String flat = g.reshape("/lm_head/Reshape_flat", hidden, -1, width);
        String logits = headLogits(flat, embeddingOrHead);
        if (softcap > 0) {
            logits = g.softcap("/lm_head/softcap", logits, softcap);
        }
        String shape = g.concat("/lm_head/Concat_shape", 0,
                g.slice("/lm_head/Slice_shape", g.unary("Shape", "/lm_head/Shape", hidden), 0, 2, 0), g.int64(vocab));
        g.nodeTo("Reshape", "/lm_head/Reshape", new String[] {logits, shape}, new String[] {DecoderIo.LOGITS});
        g.output(DecoderIo.LOGITS, FLOAT, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS, vocab);
    }

    /**
     * flat [B*S,H] x headᵀ. A float16 head whose float32 copy exceeds {@link #FOLDED_CAST_LIMIT_BYTES} is split
     * by vocabulary rows into parts under it, each Slice + Cast of a constant, which ONNX Runtime folds into a
     * float32 initializer once at load; their logits are concatenated. (Float16 Gemm is no way out: ONNX Runtime
     * 1.29 runs it 40x slower than float32 on x86 CPUs.)
     */
    private String headLogits(String flat, GraphBuilder.StoredMatrix head) {
        if (!head.half() || head.floatBytes() <= headPartLimitBytes) {
            return g.gemmTransB("/lm_head/Gemm", flat, g.floatView(head));
        }
        int parts = (int) ((head.floatBytes() + headPartLimitBytes - 1) / headPartLimitBytes);
        long rowsPerPart = (head.rows() + parts - 1) / parts;
        String[] partLogits = new String[parts];
        for (int part = 0; part < parts; part++) {
            long first = part * rowsPerPart;
            long end = Math.min(head.rows(), first + rowsPerPart);
            String path = "/lm_head/part" + part;
            String rows = g.slice(path + "/Slice", head.name(), first, end, 0);
            partLogits[part] = g.gemmTransB(path + "/Gemm", flat, g.cast(path + "/Cast", rows, FLOAT));
        }
        return g.concat("/lm_head/Concat_parts", 1, partLogits);
    }

    /**
     * table[ids] as float32: a float16 table is gathered as stored and only the rows read are cast, so the whole
     * table is never expanded to float32 (2.1 GB for Llama 3's 128256 x 4096 embedding).
     *
     * @param path the node path, e.g. {@code /model/embed_tokens}
     */
    public String tableRows(String path, GraphBuilder.StoredMatrix table, String ids) {
        String rows = g.gather(path + "/Gather", table.name(), ids, 0);
        return table.half() ? g.cast(path + "/Cast", rows, FLOAT) : rows;
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
        return linear.vector(name);
    }

    /** A matrix stored as it is in the checkpoint (embeddings, position tables, the LM head), read as float32. */
    public String matrix(String name) {
        return linear.matrix(name);
    }

    /** A table stored as it is in the checkpoint, for {@link #tableRows} and {@link #logitsOutput}. */
    public GraphBuilder.StoredMatrix table(String name) {
        return linear.table(name);
    }

    /**
     * x @ W^T (+ b) for a Hugging Face Linear with weight [out, in]; the weight is stored transposed
     * ([in, out]) so ONNX Runtime multiplies it without a runtime transpose.
     */
    public String linear(String nodePath, String module, String x) {
        return linear.linear(nodePath, module, x);
    }

    /** x @ W (+ b) for a GPT-2 Conv1D whose weight is already [in, out]. */
    public String conv1d(String nodePath, String module, String x) {
        return linear.conv1d(nodePath, module, x);
    }

    /**
     * Stores the linear modules named in {@code modules} (Hugging Face module paths) as {@code quantization} says;
     * every other matrix (embeddings, head, calibration graphs) stays float.
     */
    public void quantize(Set<String> modules, LinearQuantization quantization) {
        linear.quantize(modules, quantization);
    }

    // ---- attention -----------------------------------------------------------------------------------------

    /** {@link #attention(String, int, String, String, String, int, int, int, Rotary, AttentionOptions)}, standard. */
    public String attention(String path, int layer, String q, String k, String v, int queryHeads, int kvHeads, int headDim,
            Rotary rotary) {
        return attention(path, layer, q, k, v, queryHeads, kvHeads, headDim, rotary, AttentionOptions.standard(headDim));
    }

    /**
     * Causal self-attention of layer {@code layer} for projections already computed (q [B,S,Hq*D], k and v
     * [B,S,Hkv*D]), rotated by {@code rotary} when given; a cached layer writes its new keys and values into its
     * cache. See {@link CausalAttention#attention}.
     */
    public String attention(String path, int layer, String q, String k, String v, int queryHeads, int kvHeads, int headDim,
            Rotary rotary, AttentionOptions options) {
        return attention.attention(path, layer, q, k, v, queryHeads, kvHeads, headDim, rotary, options);
    }
}
