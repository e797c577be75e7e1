package dev.prunelab.modelformat;

import java.util.Arrays;
import java.util.Locale;

/**
 * How an exported decoder's KV cache crosses the graph's edge (see {@link DecoderIo} for both contracts). The
 * model card names the one a directory holds ({@code cacheInterface}).
 */
public enum CacheInterface {
    /**
     * A fixed-capacity cache the caller allocates once and ONNX Runtime updates in place ({@code TensorScatter},
     * {@code Attention}, {@code RotaryEmbedding}, {@code RMSNormalization}: opset 24). What the lab's evaluator
     * runs and measures: a decode step writes only its new slots.
     */
    IN_PLACE("in-place", 24, 11),
    /**
     * The interface most runtimes and serving stacks expect (Hugging Face Optimum's): the past goes in as
     * [batch, kv_heads, past_sequence, head_dim] and the present comes out one position longer, concatenated by
     * the graph every step. Written with opset 17 operators only (attention, rotary and RMSNorm as primitive
     * operators, LayerNormalization native), IR version 8, float weights only; the lab's evaluator does not run it.
     */
    GROWING("growing", 17, 8);

    private final String id;
    private final int opset;
    private final int irVersion;

    CacheInterface(String id, int opset, int irVersion) {
        this.id = id;
        this.opset = opset;
        this.irVersion = irVersion;
    }

    /** The word in the model card and on the command line. */
    public String id() {
        return id;
    }

    /** The default-domain ONNX opset a graph of this interface imports. */
    public int opset() {
        return opset;
    }

    /** The ONNX IR version its model file declares. */
    public int irVersion() {
        return irVersion;
    }

    /** The interface named {@code word} ("in-place" or "growing", any case); anything else is refused by name. */
    public static CacheInterface of(String word) {
        for (CacheInterface value : values()) {
            if (value.id.equals(word == null ? null : word.toLowerCase(Locale.ROOT))) {
                return value;
            }
        }
        throw new IllegalArgumentException("unknown cache interface '" + word + "' (expected "
                + String.join("|", Arrays.stream(values()).map(CacheInterface::id).toList()) + ")");
    }

    @Override
    public String toString() {
        return id;
    }
}
