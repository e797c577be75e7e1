package dev.prunelab.modelformat;

/**
 * Names of the exported decoder graph's inputs and outputs: the names Hugging Face Optimum and ONNX
 * Runtime GenAI use, held once for both the exporter and the evaluator.
 *
 * <pre>
 * input_ids                   int64   [batch, sequence]
 * attention_mask              int64   [batch, past_sequence + sequence]   1 = attend, 0 = padding
 * position_ids                int64   [batch, sequence]
 * past_key_values.{i}.key     float32 [batch, kv_heads, past_sequence, head_dim]   (and .value)
 * logits                      float32 [batch, sequence, vocab]
 * present.{i}.key             float32 [batch, kv_heads, past_sequence + sequence, head_dim]   (and .value)
 * </pre>
 */
public final class DecoderIo {
    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String POSITION_IDS = "position_ids";
    public static final String LOGITS = "logits";

    public static final String BATCH_AXIS = "batch_size";
    public static final String SEQUENCE_AXIS = "sequence_length";
    public static final String PAST_SEQUENCE_AXIS = "past_sequence_length";
    public static final String TOTAL_SEQUENCE_AXIS = "total_sequence_length";

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
