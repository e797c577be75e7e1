package dev.prunelab.evaluation.zeroshot;

import java.util.Objects;

/**
 * One log-likelihood request, as lm-evaluation-harness forms it: the log-probability of
 * {@code continuation} given {@code context}. The continuation carries its own leading delimiter (usually " ").
 */
public record Request(String context, String continuation) {
    public Request {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(continuation, "continuation");
        if (continuation.isEmpty()) {
            throw new IllegalArgumentException("empty continuation after context '" + abbreviate(context) + "'");
        }
    }

    static String abbreviate(String text) {
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }
}
