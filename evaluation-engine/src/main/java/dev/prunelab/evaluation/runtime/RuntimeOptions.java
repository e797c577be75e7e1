package dev.prunelab.evaluation.runtime;

import dev.prunelab.vocabulary.ExecutionProvider;

/**
 * How a session is created.
 *
 * @param intraOpThreads threads ONNX Runtime uses inside one operator; 0 = one per core idle when the session
 *                       opens (ThreadPolicy)
 * @param spinning       let ONNX Runtime's pool threads spin while waiting for work (its default; off here)
 */
public record RuntimeOptions(ExecutionProvider provider, int intraOpThreads, boolean spinning) {
    public RuntimeOptions {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("threads must be >= 0, was " + intraOpThreads);
        }
    }

    public RuntimeOptions(ExecutionProvider provider, int intraOpThreads) {
        this(provider, intraOpThreads, false);
    }

    public static RuntimeOptions cpu() {
        return new RuntimeOptions(ExecutionProvider.CPU, 0);
    }
}
