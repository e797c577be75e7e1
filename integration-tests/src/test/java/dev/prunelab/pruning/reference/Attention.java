package dev.prunelab.pruning.reference;

import java.util.ArrayList;
import java.util.List;

/**
 * Scaled dot-product attention of one query position over a key/value cache, with grouped-query
 * attention: query head h reads key/value head {@code h / (heads / kvHeads)} (HF repeat_kv).
 * Causality is implicit: the cache holds exactly the positions 0..current.
 */
final class Attention {
    private Attention() {
    }

    /** The keys and values of one layer, one [kvHeads * headDim] vector per position so far. */
    static final class Cache {
        final List<float[]> keys = new ArrayList<>();
        final List<float[]> values = new ArrayList<>();

        void append(float[] key, float[] value) {
            keys.add(key);
            values.add(value);
        }

        int length() {
            return keys.size();
        }
    }

    /**
     * @param q     [heads * headDim], already rotated (and pre-scaled for OPT)
     * @param scale multiplies q.k (1/sqrt(headDim), or 1 when q was pre-scaled)
     * @return [heads * headDim]: per head, the softmax-weighted sum of cached values
     */
    static float[] attend(float[] q, int heads, int kvHeads, int headDim, double scale, Cache cache) {
        return attend(q, heads, kvHeads, headDim, scale, 0, cache);
    }

    /**
     * @param window a sliding window (Mistral, Phi-3): only the last {@code window} cached positions, the current one
     *               included, are attended (masking_utils' sliding_window_overlay: kv &gt; q - window); 0 for all
     */
    static float[] attend(float[] q, int heads, int kvHeads, int headDim, double scale, int window, Cache cache) {
        int group = heads / kvHeads;
        int first = window > 0 ? Math.max(0, cache.length() - window) : 0;
        int length = cache.length() - first;
        float[] out = new float[heads * headDim];
        double[] weights = new double[length];
        for (int h = 0; h < heads; h++) {
            int kvOffset = (h / group) * headDim;
            for (int t = 0; t < length; t++) {
                weights[t] = Ops.dot(q, h * headDim, cache.keys.get(first + t), kvOffset, headDim) * scale;
            }
            Ops.softmax(weights, length);
            for (int i = 0; i < headDim; i++) {
                double sum = 0;
                for (int t = 0; t < length; t++) {
                    sum += weights[t] * cache.values.get(first + t)[kvOffset + i];
                }
                out[h * headDim + i] = (float) sum;
            }
        }
        return out;
    }
}
