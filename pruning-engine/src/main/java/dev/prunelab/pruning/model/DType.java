package dev.prunelab.pruning.model;

/** Element types of stored weights, with the safetensors spelling. */
public enum DType {
    F32(4), F16(2), BF16(2);

    private final int sizeBytes;

    DType(int sizeBytes) {
        this.sizeBytes = sizeBytes;
    }

    public int sizeBytes() {
        return sizeBytes;
    }

    /** The safetensors header spelling ("F32", "F16", "BF16"). */
    public String safetensorsName() {
        return name();
    }

    public static DType fromSafetensorsName(String name) {
        for (DType type : values()) {
            if (type.name().equals(name)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unsupported dtype '" + name + "' (supported: F32, F16, BF16)");
    }
}
