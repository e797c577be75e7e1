package dev.prunelab.pruning.checkpoint;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Maps tensor names as stored in a checkpoint to the canonical names of {@link dev.prunelab.pruning.model.WeightNames}.
 * Checkpoints saved from a base model (GPT2Model, OPTModel's decoder, LlamaModel) lack the wrapper prefix the
 * causal-LM class adds; non-weight buffers (GPT-2's causal mask, old Llama's rotary inverse frequencies) are
 * not weights at all and are dropped.
 */
public final class CheckpointNames {
    private static final Pattern GPT2_BUFFER = Pattern.compile("transformer\\.h\\.\\d+\\.attn\\.(bias|masked_bias)");

    private CheckpointNames() {
    }

    /** The canonical name, or empty for a buffer that is not a weight. */
    public static Optional<String> canonical(String stored) {
        String name = stored;
        if (name.startsWith("h.") || name.startsWith("wte.") || name.startsWith("wpe.") || name.startsWith("ln_f.")) {
            name = "transformer." + name;
        } else if (name.startsWith("decoder.")) {
            name = "model." + name;
        } else if (name.startsWith("layers.") || name.startsWith("embed_tokens.") || name.equals("norm.weight")) {
            name = "model." + name;
        }
        if (GPT2_BUFFER.matcher(name).matches() || name.endsWith(".rotary_emb.inv_freq")) {
            return Optional.empty();
        }
        return Optional.of(name);
    }
}
