package dev.prunelab.pruning.reference;

import dev.prunelab.pruning.family.gemma.GemmaConfig;
import dev.prunelab.pruning.family.gpt2.Gpt2Config;
import dev.prunelab.pruning.family.llama.LlamaConfig;
import dev.prunelab.pruning.family.opt.OptConfig;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;

/**
 * The oracle: a plain-Java, float32, one-token-at-a-time forward pass of a decoder-only model, written from
 * the Hugging Face modeling code (modeling_llama.py, modeling_opt.py, modeling_gpt2.py, modeling_gemma2.py,
 * modeling_gemma3.py) and independent of the ONNX exporter. Slow on purpose; used only to check other
 * implementations.
 *
 * <p>A decoder keeps its own key/value cache: {@link #step} consumes the token at the next position, so a
 * sequence is fed as step(t0, 0), step(t1, 1), ... Per-layer widths (heads, MLP width) are read from the
 * tensor shapes, so structurally pruned models work; head dimension and kv grouping come from the config.
 */
public interface ReferenceDecoder {

    /**
     * Consumes {@code tokenId} at {@code position}, appends its keys/values to the cache and returns the
     * next-token logits [vocab]. {@code position} must equal {@link #length()} (the cache is contiguous).
     */
    float[] step(int tokenId, int position);

    /** Tokens consumed so far, i.e. the position the next {@link #step} must be given. */
    int length();

    /** Empties the cache, so the next step is position 0 again. */
    void reset();

    /** Steps through {@code tokens} from the current position on; row i holds the logits after tokens[i]. */
    default float[][] run(int[] tokens) {
        float[][] logits = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            logits[i] = step(tokens[i], length());
        }
        return logits;
    }

    /** The reference forward pass of the config's family over {@code weights} (Hugging Face names). */
    static ReferenceDecoder create(DecoderConfig config, TensorSource weights) {
        if (config instanceof LlamaConfig llama) {
            return new LlamaReference(llama, weights);
        }
        if (config instanceof OptConfig opt) {
            return new OptReference(opt, weights);
        }
        if (config instanceof GemmaConfig gemma) {
            return new GemmaReference(gemma, weights);
        }
        if (config instanceof Gpt2Config gpt2) {
            return new Gpt2Reference(gpt2, weights);
        }
        throw new IllegalArgumentException("no reference forward pass for " + config.modelType());
    }
}
