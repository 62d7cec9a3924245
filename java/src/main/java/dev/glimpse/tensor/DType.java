package dev.glimpse.tensor;

/** Element types Glimpse stores. Activations are always F32; weights may be any of these. */
public enum DType {
    F32(4),
    BF16(2),
    F16(2);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** The safetensors name ("F32", "BF16", "F16"), or null when Glimpse cannot use that type. */
    public static DType fromSafetensors(String name) {
        return switch (name) {
            case "F32" -> F32;
            case "BF16" -> BF16;
            case "F16" -> F16;
            default -> null;
        };
    }
}
