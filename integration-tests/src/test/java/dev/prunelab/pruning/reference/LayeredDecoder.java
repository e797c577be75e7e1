package dev.prunelab.pruning.reference;

/**
 * The skeleton the three families share: embed, then per layer "project to q/k/v, attend, finish the layer
 * (output projection, residuals, MLP)", then the head. {@link #step} attends over a key/value cache;
 * {@link #forwardWithoutCache} is a second, cache-free evaluation (layer by layer over the whole sequence
 * with an explicit causal mask), used by the tests to check the cache handling.
 */
abstract class LayeredDecoder<L extends LayeredDecoder.ShapedLayer> implements ReferenceDecoder {

    /** A family's weights of one layer, which know the layer's attention shape. */
    interface ShapedLayer {
        AttentionShape shape();
    }

    /** One position's attention inputs in one layer: q [heads*headDim] (rotated/scaled), k and v [kvHeads*headDim]. */
    record Projected(float[] q, float[] k, float[] v) {
    }

    /**
     * Attention shape of one layer; {@code scale} multiplies q.k; {@code window}: a sliding window (a query sees the
     * last {@code window} positions, itself included), 0 for every earlier position.
     */
    record AttentionShape(int heads, int kvHeads, int headDim, double scale, int window) {
        AttentionShape {
            if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
                throw new IllegalArgumentException(heads + " query heads cannot share " + kvHeads + " kv heads");
            }
        }

        AttentionShape(int heads, int kvHeads, int headDim, double scale) {
            this(heads, kvHeads, headDim, scale, 0);
        }
    }

    /** The layers' weights, one slot per layer, filled by the family's constructor. */
    final L[] layers;
    private final Attention.Cache[] caches;

    LayeredDecoder(L[] layers) {
        this.layers = layers;
        caches = new Attention.Cache[layers.length];
        reset();
    }

    /** The residual stream's input for {@code token} at {@code position}. */
    abstract float[] embed(int token, int position);

    final AttentionShape attentionShape(int layer) {
        return layers[layer].shape();
    }

    /** The layer's (normed) input projected to q, k, v, with positions applied (rotary, if any). */
    abstract Projected project(int layer, float[] x, int position);

    /** The layer's output from its input {@code x} and the attention's output (before the output projection). */
    abstract float[] finishLayer(int layer, float[] x, float[] attention);

    /** Final norm (if any) and LM head. */
    abstract float[] logits(float[] x);

    @Override
    public final float[] step(int tokenId, int position) {
        if (position != length()) {
            throw new IllegalArgumentException("position " + position + " but " + length() + " tokens are cached");
        }
        float[] x = embed(tokenId, position);
        for (int layer = 0; layer < caches.length; layer++) {
            Projected p = project(layer, x, position);
            caches[layer].append(p.k(), p.v());
            AttentionShape s = attentionShape(layer);
            float[] attention = Attention.attend(p.q(), s.heads(), s.kvHeads(), s.headDim(), s.scale(), s.window(),
                    caches[layer]);
            x = finishLayer(layer, x, attention);
        }
        return logits(x);
    }

    @Override
    public final int length() {
        return caches.length == 0 ? 0 : caches[0].length();
    }

    @Override
    public final void reset() {
        for (int layer = 0; layer < caches.length; layer++) {
            caches[layer] = new Attention.Cache();
        }
    }

    /**
     * The logits of every position of {@code tokens} (positions 0..n-1) without a cache: layer by layer,
     * all positions' q/k/v first, then a full [n, n] score matrix per head with -inf above the diagonal (and, with
     * a sliding window, at and below the window's lower edge).
     * Does not touch the cache.
     */
    final float[][] forwardWithoutCache(int[] tokens) {
        int n = tokens.length;
        float[][] x = new float[n][];
        for (int t = 0; t < n; t++) {
            x[t] = embed(tokens[t], t);
        }
        for (int layer = 0; layer < caches.length; layer++) {
            AttentionShape s = attentionShape(layer);
            int d = s.headDim();
            int group = s.heads() / s.kvHeads();
            Projected[] p = new Projected[n];
            for (int t = 0; t < n; t++) {
                p[t] = project(layer, x[t], t);
            }
            float[][] attention = new float[n][s.heads() * d];
            for (int h = 0; h < s.heads(); h++) {
                int kvOffset = (h / group) * d;
                double[][] scores = new double[n][n];
                for (int t = 0; t < n; t++) {
                    for (int u = 0; u < n; u++) {
                        scores[t][u] = u > t || (s.window() > 0 && u <= t - s.window()) ? Double.NEGATIVE_INFINITY
                                : Ops.dot(p[t].q(), h * d, p[u].k(), kvOffset, d) * s.scale();
                    }
                    Ops.softmax(scores[t], n);
                    for (int i = 0; i < d; i++) {
                        double sum = 0;
                        for (int u = 0; u < n; u++) {
                            sum += scores[t][u] * p[u].v()[kvOffset + i];
                        }
                        attention[t][h * d + i] = (float) sum;
                    }
                }
            }
            for (int t = 0; t < n; t++) {
                x[t] = finishLayer(layer, x[t], attention[t]);
            }
        }
        float[][] logits = new float[n][];
        for (int t = 0; t < n; t++) {
            logits[t] = logits(x[t]);
        }
        return logits;
    }
}
