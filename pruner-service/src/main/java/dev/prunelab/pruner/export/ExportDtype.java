package dev.prunelab.pruner.export;

/** Element type of exported weights. */
public enum ExportDtype {
    FLOAT32("float32"), FLOAT16("float16");

    private final String onnxName;

    ExportDtype(String onnxName) {
        this.onnxName = onnxName;
    }

    public String onnxName() {
        return onnxName;
    }

    /** Accepts "f32", "float32", "f16", "float16". */
    public static ExportDtype parse(String text) {
        return switch (text.toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "float32", "fp32" -> FLOAT32;
            case "f16", "float16", "fp16" -> FLOAT16;
            default -> throw new IllegalArgumentException("unknown dtype '" + text + "' (expected f32 or f16)");
        };
    }
}
