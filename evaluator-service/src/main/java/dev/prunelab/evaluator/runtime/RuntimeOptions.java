package dev.prunelab.evaluator.runtime;

/**
 * How a session is created.
 *
 * @param intraOpThreads threads ONNX Runtime uses inside one operator; 0 lets it choose (one per core)
 */
public record RuntimeOptions(ExecutionProvider provider, int intraOpThreads) {
    public RuntimeOptions {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("threads must be >= 0, was " + intraOpThreads);
        }
    }

    public static RuntimeOptions cpu() {
        return new RuntimeOptions(ExecutionProvider.CPU, 0);
    }
}
