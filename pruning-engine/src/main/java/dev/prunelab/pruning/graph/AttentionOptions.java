package dev.prunelab.pruning.graph;

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
