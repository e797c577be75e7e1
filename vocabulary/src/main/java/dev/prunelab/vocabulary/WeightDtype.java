package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Element type of exported weights. */
public enum WeightDtype implements Word {
    FLOAT32("f32"),
    FLOAT16("f16");

    private final String id;

    WeightDtype(String id) {
        this.id = id;
    }

    @Override
    @JsonValue
    public String id() {
        return id;
    }

    /** The ONNX element type's name. */
    public String onnxName() {
        return this == FLOAT32 ? "float32" : "float16";
    }

    @JsonCreator
    public static WeightDtype of(String id) {
        String canonical = switch (id) {
            case "float32", "fp32" -> "f32";
            case "float16", "fp16" -> "f16";
            default -> id;
        };
        return Word.of(WeightDtype.class, "", "dtype", canonical);
    }
}
