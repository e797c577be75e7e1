package dev.prunelab.pruning.graph;

import dev.prunelab.vocabulary.WeightDtype;

/**
 * How initializers are stored: element type, and inline or in {@code model.onnx.data}.
 *
 * @param float16  store weights as float16 (the graph casts them to float32 for compute, so the CPU provider
 *                 runs it; disk and download halve, ONNX Runtime's working memory does not)
 * @param external weights go to the external data file (required past protobuf's 2 GB limit)
 */
public record WeightFormat(boolean float16, boolean external) {
    /** Models whose weights exceed 1 GB keep them in external data. */
    public static final long EXTERNAL_DATA_THRESHOLD_BYTES = 1L << 30;

    public static WeightFormat choose(WeightDtype dtype, long parameterCount, long externalDataThresholdBytes) {
        long bytes = parameterCount * (dtype == WeightDtype.FLOAT16 ? 2 : 4);
        return new WeightFormat(dtype == WeightDtype.FLOAT16, bytes > externalDataThresholdBytes);
    }
}
