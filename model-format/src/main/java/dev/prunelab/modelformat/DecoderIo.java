package dev.prunelab.modelformat;

/**
 * Names of the exported decoder graph's inputs and outputs, held once for both the exporter and the evaluator.
 * The names are Hugging Face Optimum's. Two cache contracts ({@link CacheInterface}); the lab's default and the
 * only one its evaluator runs is {@linkplain CacheInterface#IN_PLACE in place}, a fixed-capacity buffer updated by
 * the graph ({@code TensorScatter}, opset 24), not one that grows by a copy every step:
 *
 * <pre>
 * input_ids                   int64   [batch, sequence]
 * attention_mask              int64   [batch, cache_sequence]   1 = a slot holding a visible token (past or new)
 * position_ids                int64   [batch, sequence]
 * cache_write_indices         int64   [batch]   slot of the first new token (the past length; equal in every row)
 * past_key_values.{i}.key     float32 [batch, cache_sequence, kv_heads * head_dim]   (and .value)
 * logits                      float32 [batch, sequence, vocab]
 * present.{i}.key             float32 [batch, cache_sequence, kv_heads * head_dim]   (and .value)
 * </pre>
 *
 * present.{i} is past.{i} with the new keys/values written at the write index. Bound as an output to the very
 * buffer given as the past, ONNX Runtime writes only the new slots (no copy of the cache per step).
 *
 * <p>The {@linkplain CacheInterface#GROWING growing} contract (opset 17, for other runtimes) is the standard one:
 * <pre>
 * input_ids                   int64   [batch, sequence]
 * attention_mask              int64   [batch, past_sequence + sequence]   1 = attend, 0 = padding
 * position_ids                int64   [batch, sequence]
 * past_key_values.{i}.key     float32 [batch, kv_heads, past_sequence, head_dim]   (and .value; 0 positions at first)
 * logits                      float32 [batch, sequence, vocab]
 * present.{i}.key             float32 [batch, kv_heads, past_sequence + sequence, head_dim]   (and .value)
 * </pre>
 */
public final class DecoderIo {
    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String POSITION_IDS = "position_ids";
    public static final String LOGITS = "logits";
    public static final String CACHE_WRITE_INDICES = "cache_write_indices";

    public static final String BATCH_AXIS = "batch_size";
    public static final String SEQUENCE_AXIS = "sequence_length";
    /** The cache's capacity in positions: the caller's choice (prompt + new tokens, a window). */
    public static final String CACHE_SEQUENCE_AXIS = "cache_sequence_length";
    /** The mask's length in graphs without a cache (calibration: the sequence itself) and in the growing contract. */
    public static final String TOTAL_SEQUENCE_AXIS = "total_sequence_length";
    /** The positions already cached, in the growing contract's past. */
    public static final String PAST_SEQUENCE_AXIS = "past_sequence_length";
    /** The growing contract's present: past and new positions. */
    public static final String PRESENT_SEQUENCE_AXIS = "present_sequence_length";

    /** File names inside an exported model directory. */
    public static final String MODEL_FILE = "model.onnx";
    public static final String EXTERNAL_DATA_FILE = "model.onnx.data";
    /** The external data with zero weights skipped ({@link CompressedWeights}), for pruned models. */
    public static final String COMPRESSED_DATA_FILE = "model.onnx.data.sparse";
    public static final String MODEL_CARD_FILE = "model-card.json";

    private DecoderIo() {
    }

    public static String pastKey(int layer) {
        return "past_key_values." + layer + ".key";
    }

    public static String pastValue(int layer) {
        return "past_key_values." + layer + ".value";
    }

    public static String presentKey(int layer) {
        return "present." + layer + ".key";
    }

    public static String presentValue(int layer) {
        return "present." + layer + ".value";
    }
}
