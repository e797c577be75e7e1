package dev.prunelab.evaluator.runtime;

import java.util.Locale;

/**
 * Which ONNX Runtime execution provider to run on. {@code CUDA} is a requirement (fail if unavailable);
 * {@code AUTO} prefers CUDA and falls back to CPU, recording why.
 */
public enum ExecutionProvider {
    CPU, CUDA, AUTO;

    public static ExecutionProvider parse(String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown provider '" + text + "' (expected cpu, cuda or auto)");
        }
    }
}
