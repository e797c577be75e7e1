package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;

/** Which ONNX Runtime execution provider runs a model: CUDA is a requirement (fail if unavailable); AUTO prefers CUDA and falls back to CPU, recording why. */
public enum ExecutionProvider implements Word {
    CPU,
    CUDA,
    AUTO;

    /** The field that names it in requests. */
    public static final String FIELD = "provider";

    @JsonCreator
    public static ExecutionProvider of(String id) {
        return Word.of(ExecutionProvider.class, "", "provider", id);
    }
}
