package dev.prunelab.pruning.graph;

import ai.onnx.proto.OnnxMl;
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
    private String maskedScore;   // created with the first attention, so graphs without one carry no constant
    private LinearQuantization quantization = LinearQuantization.FLOAT;
    private java.util.Set<String> quantizedModules = java.util.Set.of();

    /** Graph input holding hidden states in block and embedding-free graphs: [batch, sequence, hidden]. */
    public static final String HIDDEN_STATES = "hidden_states";

    /**
     * Declares the inputs and builds the mask.
     * <pre>
     * attention_mask [B,T] --Cast(bool)--Unsqueeze--> [B,1,1,T] --+
     * Range(past, T) [S,1] >= Range(0, T) [1,T]  (causal) [S,T] --And--> allowed [B,1,S,T]
     * </pre>
     *
     * @param cachedLayers    the layers whose past/present key and value this graph carries
     * @param hiddenInputWidth 0 for a graph that starts from {@code input_ids}; else the width of a
     *                        {@value #HIDDEN_STATES} input (a single-block calibration graph)
     */
    public DecoderGraph(GraphBuilder g, TensorSource weights, int[] kvHeadsPerLayer, int headDim, int[] cachedLayers,
            int hiddenInputWidth) {
        this.g = g;
        this.weights = weights;
        if (hiddenInputWidth == 0) {
            g.input(DecoderIo.INPUT_IDS, INT64, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS);
            inputIds = DecoderIo.INPUT_IDS;
        } else {
            g.input(HIDDEN_STATES, FLOAT, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS, hiddenInputWidth);
            inputIds = null;
        }
        g.input(DecoderIo.ATTENTION_MASK, INT64, DecoderIo.BATCH_AXIS, DecoderIo.TOTAL_SEQUENCE_AXIS);
        g.input(DecoderIo.POSITION_IDS, INT64, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS);
        for (int layer : cachedLayers) {
            g.input(DecoderIo.pastKey(layer), FLOAT, DecoderIo.BATCH_AXIS, kvHeadsPerLayer[layer],
                    DecoderIo.PAST_SEQUENCE_AXIS, headDim);
            g.input(DecoderIo.pastValue(layer), FLOAT, DecoderIo.BATCH_AXIS, kvHeadsPerLayer[layer],
                    DecoderIo.PAST_SEQUENCE_AXIS, headDim);
        }
        positionIds = DecoderIo.POSITION_IDS;

        String p = "/model/attn_mask/";
        String sequence = g.gather(p + "Gather_sequence", g.unary("Shape", p + "Shape_positions", positionIds),
                g.int64Scalar(1), 0);
        String total = g.gather(p + "Gather_total",
                g.unary("Shape", p + "Shape_mask", DecoderIo.ATTENTION_MASK), g.int64Scalar(1), 0);
        String past = g.sub(p + "Sub_past", total, sequence);
        String queryPositions = g.unsqueeze(p + "Unsqueeze_query",
                g.node("Range", p + "Range_query", new String[] {past, total, g.int64Scalar(1)}), 1);
        String keyPositions = g.unsqueeze(p + "Unsqueeze_key",
                g.node("Range", p + "Range_key", new String[] {g.int64Scalar(0), total, g.int64Scalar(1)}), 0);
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
        // [B,S,H] -> [B*S,H] x [V,H]^T -> [B*S,V] -> [B,S,V]: Gemm reads the tied embedding without a copy
        String flat = g.reshape("/lm_head/Reshape_flat", hidden, -1, width);
        String logits = g.gemmTransB("/lm_head/Gemm", flat, embeddingOrHead);
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
     * Causal self-attention with a KV cache, for projections already computed.
     * <pre>
     * q [B,S,Hq*D] -Reshape/Transpose-> [B,Hq,S,D] -(rotary)-> * scale ----------------------+
     * k [B,S,Hkv*D] -> [B,Hkv,S,D] -(rotary)-> Concat(past_k, k) = present_k [B,Hkv,T,D] ---MatMul^T-> scores
     * GQA: q regrouped as [B,Hkv,G*S,D] so each KV head serves its G query heads without copying K/V.
     * scores [B,Hq,S,T] -Where(allowed)-> Softmax -> @ present_v -> [B,S,Hq*D]
     * </pre>
     */
    public String attention(String path, int layer, String q, String k, String v, int queryHeads, int kvHeads, int headDim,
            Rotary rotary) {
        if (queryHeads % kvHeads != 0) {
            throw new IllegalArgumentException("layer " + layer + ": " + queryHeads
                    + " query heads are not a multiple of " + kvHeads + " key/value heads");
        }
        String qHeads = g.transpose(path + "/Transpose_q", g.reshape(path + "/Reshape_q", q, 0, 0, queryHeads, headDim),
                0, 2, 1, 3);
        String kHeads = g.transpose(path + "/Transpose_k", g.reshape(path + "/Reshape_k", k, 0, 0, kvHeads, headDim),
                0, 2, 1, 3);
        String vHeads = g.transpose(path + "/Transpose_v", g.reshape(path + "/Reshape_v", v, 0, 0, kvHeads, headDim),
                0, 2, 1, 3);
        if (rotary != null) {
            qHeads = rotary.apply(path + "/rotary_q", qHeads);
            kHeads = rotary.apply(path + "/rotary_k", kHeads);
        }
        String presentKey = DecoderIo.presentKey(layer);
        String presentValue = DecoderIo.presentValue(layer);
        g.nodeTo("Concat", path + "/Concat_k", new String[] {DecoderIo.pastKey(layer), kHeads},
                new String[] {presentKey}, GraphBuilder.intAttribute("axis", 2));
        g.nodeTo("Concat", path + "/Concat_v", new String[] {DecoderIo.pastValue(layer), vHeads},
                new String[] {presentValue}, GraphBuilder.intAttribute("axis", 2));
        g.output(presentKey, FLOAT, DecoderIo.BATCH_AXIS, kvHeads, DecoderIo.TOTAL_SEQUENCE_AXIS, headDim);
        g.output(presentValue, FLOAT, DecoderIo.BATCH_AXIS, kvHeads, DecoderIo.TOTAL_SEQUENCE_AXIS, headDim);

        String scaledQ = g.mul(path + "/Mul_scale", qHeads,
                g.scalar(path + "/scale", (float) (1.0 / Math.sqrt(headDim))));
        int group = queryHeads / kvHeads;
        String grouped = group == 1 ? scaledQ : g.reshape(path + "/Reshape_q_groups", scaledQ, 0, kvHeads, -1, headDim);
        String keysT = g.transpose(path + "/Transpose_kT", presentKey, 0, 1, 3, 2);
        String scores = g.matMul(path + "/MatMul_scores", grouped, keysT);
        if (group != 1) {
            scores = g.reshape(path + "/Reshape_scores", scores, 0, queryHeads, -1, 0);
        }
        if (maskedScore == null) {
            maskedScore = g.scalar("/model/constants/masked_score", GraphBuilder.MASKED_SCORE);
        }
        String masked = g.where(path + "/Where_mask", attentionAllowed, scores, maskedScore);
        String probabilities = g.softmax(path + "/Softmax", masked);
        if (group != 1) {
            probabilities = g.reshape(path + "/Reshape_probs_groups", probabilities, 0, kvHeads, -1, 0);
        }
        String context = g.matMul(path + "/MatMul_context", probabilities, presentValue);
        if (group != 1) {
            context = g.reshape(path + "/Reshape_context", context, 0, queryHeads, -1, headDim);
        }
        String merged = g.transpose(path + "/Transpose_context", context, 0, 2, 1, 3);
        return g.reshape(path + "/Reshape_context_merge", merged, 0, 0, (long) queryHeads * headDim);
    }

    /** Hugging Face "rotate_half" rotary embedding; cos/sin [B,1,S,D] computed once per graph. */
    public static final class Rotary {
        private final GraphBuilder g;
        private final String cos;
        private final String sin;
        private final int headDim;

        /**
         * angle[b,s,i] = position_ids[b,s] * theta^(-2i/D), i < D/2; cos/sin duplicated to width D
         * (the halves layout), unsqueezed to broadcast over heads.
         */
        public Rotary(GraphBuilder g, String positionIds, int headDim, double theta) {
            this.g = g;
            this.headDim = headDim;
            float[] inverseFrequencies = new float[headDim / 2];
            for (int i = 0; i < inverseFrequencies.length; i++) {
                inverseFrequencies[i] = (float) (1.0 / Math.pow(theta, (2.0 * i) / headDim));
            }
            String p = "/model/rotary_emb/";
            String invFreq = g.floatConstant("model.rotary_emb.inv_freq", inverseFrequencies, headDim / 2);
            String positions = g.unsqueeze(p + "Unsqueeze_positions",
                    g.cast(p + "Cast_positions", positionIds, OnnxMl.TensorProto.DataType.FLOAT), 2);
            String angles = g.mul(p + "Mul_angles", positions, invFreq);
            String both = g.concat(p + "Concat_angles", -1, angles, angles);
            cos = g.unsqueeze(p + "Unsqueeze_cos", g.unary("Cos", p + "Cos", both), 1);
            sin = g.unsqueeze(p + "Unsqueeze_sin", g.unary("Sin", p + "Sin", both), 1);
        }

        /** x*cos + rotate_half(x)*sin, rotate_half(x) = [-x2, x1] for halves x1 | x2. */
        public String apply(String path, String x) {
            int half = headDim / 2;
            String first = g.slice(path + "/Slice_1", x, 0, half, 3);
            String second = g.slice(path + "/Slice_2", x, half, headDim, 3);
            String rotated = g.concat(path + "/Concat", 3, g.unary("Neg", path + "/Neg", second), first);
            return g.add(path + "/Add", g.mul(path + "/Mul_cos", x, cos), g.mul(path + "/Mul_sin", rotated, sin));
        }
    }
}
