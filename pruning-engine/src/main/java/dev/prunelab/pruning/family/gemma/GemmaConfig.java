package dev.prunelab.pruning.family.gemma;

import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.HalfFloats;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * Gemma 2 ({@code gemma2}) and Gemma 3's text model ({@code gemma3_text}): RMSNorm scaling by (1 + weight),
 * embeddings scaled by sqrt(hidden_size), a GeGLU MLP with the tanh GELU, norms before and after both attention and
 * MLP, scores scaled by query_pre_attn_scalar^-0.5, and sliding-window layers between full-attention ones. Gemma 2
 * soft-caps attention scores and the final logits; Gemma 3 normalises q and k per head and gives its
 * sliding-window layers their own rotary base.
 *
 * @param finalLogitSoftcap final_logit_softcapping: logits become cap·tanh(logits/cap); 0 for none
 * @param attention         how each layer attends
 */
public record GemmaConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int contextLength,
        double rmsNormEps,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        double finalLogitSoftcap,
        Attention attention) implements DecoderConfig {

    public static final String GEMMA2 = "gemma2";
    public static final String GEMMA3_TEXT = "gemma3_text";

    /** A layer's attention (config.json's layer_types). */
    public enum LayerType {
        /** sees the last sliding_window positions, its own included */
        SLIDING("sliding_attention"),
        /** sees every earlier position */
        FULL("full_attention");

        private final String id;

        LayerType(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        /** The layer type of a layer_types entry; an unknown one is an error that names it. */
        public static LayerType of(String id) {
            for (LayerType type : values()) {
                if (type.id.equals(id)) {
                    return type;
                }
            }
            throw new IllegalArgumentException("'" + id + "' is not supported (sliding_attention, full_attention)");
        }
    }

    /**
     * A rotary embedding: angle[p, i] = p · theta^(-2i/D) / linearFactor (Hugging Face's "default" rope_type, and
     * "linear" with its factor).
     */
    public record Rope(double theta, double linearFactor) {
        public Rope {
            if (!(theta > 0) || Double.isInfinite(theta)) {
                throw new IllegalArgumentException("rope theta must be positive, was " + theta);
            }
            if (!(linearFactor >= 1) || Double.isInfinite(linearFactor)) {
                throw new IllegalArgumentException("rope_scaling factor must be at least 1, was " + linearFactor);
            }
        }

        public static Rope unscaled(double theta) {
            return new Rope(theta, 1.0);
        }
    }

    /**
     * @param queryPreAttnScalar query_pre_attn_scalar: scores are scaled by its inverse square root, not head_dim's
     * @param logitSoftcap       attn_logit_softcapping (Gemma 2): scores become cap·tanh(scores/cap); 0 for none
     * @param slidingWindow      sliding_window: the positions a sliding layer sees, its own included; 0 for none
     * @param layerTypes         every layer's type, in order
     * @param fullRope           rotary of the full-attention layers (rope_theta, rope_scaling)
     * @param slidingRope        rotary of the sliding-window layers (Gemma 3: rope_local_base_freq, unscaled;
     *                           Gemma 2: the same as the full layers')
     */
    public record Attention(double queryPreAttnScalar, double logitSoftcap, int slidingWindow, List<LayerType> layerTypes,
            Rope fullRope, Rope slidingRope) {
        public Attention {
            layerTypes = List.copyOf(layerTypes);
            Objects.requireNonNull(fullRope, "fullRope");
            Objects.requireNonNull(slidingRope, "slidingRope");
            if (!(queryPreAttnScalar > 0) || Double.isInfinite(queryPreAttnScalar)) {
                throw new IllegalArgumentException("query_pre_attn_scalar must be positive, was " + queryPreAttnScalar);
            }
            if (!(logitSoftcap >= 0) || Double.isInfinite(logitSoftcap)) {
                throw new IllegalArgumentException("attn_logit_softcapping must be positive or null, was "
                        + logitSoftcap);
            }
            if (slidingWindow < 0) {
                throw new IllegalArgumentException("sliding_window must be positive or null, was " + slidingWindow);
            }
        }

        /** Scores are multiplied by this: query_pre_attn_scalar^-0.5. */
        public double scale() {
            return 1.0 / Math.sqrt(queryPreAttnScalar);
        }

        /** The window of {@code layer}: the sliding window for a sliding layer, 0 (every position) for a full one. */
        public int window(int layer) {
            return layerTypes.get(layer) == LayerType.SLIDING ? slidingWindow : 0;
        }

        public Rope rope(int layer) {
            return layerTypes.get(layer) == LayerType.SLIDING ? slidingRope : fullRope;
        }

        Attention keeping(int[] sourceLayers) {
            List<LayerType> kept = new ArrayList<>();
            for (int layer : sourceLayers) {
                kept.add(layerTypes.get(layer));
            }
            return new Attention(queryPreAttnScalar, logitSoftcap, slidingWindow, kept, fullRope, slidingRope);
        }
    }

    public GemmaConfig {
        Objects.requireNonNull(modelType, "modelType");
        Objects.requireNonNull(attention, "attention");
        if (!GEMMA2.equals(modelType) && !GEMMA3_TEXT.equals(modelType)) {
            throw new IllegalArgumentException("model_type '" + modelType + "' is not a Gemma 2 or 3 text model");
        }
        DecoderConfig.requireRotaryShape(vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
                headDim, contextLength);
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rms_norm_eps must be positive, was " + rmsNormEps);
        }
        if (!(finalLogitSoftcap >= 0) || Double.isInfinite(finalLogitSoftcap)) {
            throw new IllegalArgumentException("final_logit_softcapping must be positive or null, was "
                    + finalLogitSoftcap);
        }
        if (attention.layerTypes().size() != numLayers) {
            throw new IllegalArgumentException("layer_types has " + attention.layerTypes().size()
                    + " entries for num_hidden_layers " + numLayers);
        }
        if (GEMMA2.equals(modelType) && !attention.fullRope().equals(attention.slidingRope())) {
            throw new IllegalArgumentException("gemma2 has one rotary embedding for every layer, not "
                    + attention.fullRope() + " and " + attention.slidingRope());
        }
        if (GEMMA3_TEXT.equals(modelType) && attention.logitSoftcap() != 0) {
            throw new IllegalArgumentException("gemma3_text does not soft-cap attention scores (transformers'"
                    + " Gemma3Attention ignores attn_logit_softcapping)");
        }
    }

    /** Gemma 3 normalises each head's query and key (q_norm, k_norm) before the rotation. */
    public boolean qkNorm() {
        return GEMMA3_TEXT.equals(modelType);
    }

    /**
     * The embedding scale: sqrt(hidden_size) rounded to the dtype of the embedding weights, as transformers makes it a
     * tensor of the hidden states' dtype (2304: 48.0 in any dtype; 1152: 33.941 in float32, 34.0 in bfloat16).
     */
    public float embeddingScale(DType weights) {
        float root = (float) Math.sqrt(hiddenSize);
        return switch (weights) {
            case F32 -> root;
            case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(root));
            case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(root));
        };
    }

    @Override
    public GemmaConfig withLayers(int layers) {
        return keepingLayers(IntStream.range(0, layers).toArray());
    }

    @Override
    public GemmaConfig keepingLayers(int[] sourceLayers) {
        return new GemmaConfig(modelType, vocabSize, hiddenSize, intermediateSize, sourceLayers.length, numHeads,
                numKvHeads, headDim, contextLength, rmsNormEps, tieWordEmbeddings, attentionBias, finalLogitSoftcap,
                attention.keeping(sourceLayers));
    }
}
