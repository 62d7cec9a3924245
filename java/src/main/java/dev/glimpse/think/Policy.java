package dev.glimpse.think;

/** How much of the image the model sees (VISIONTHINK.md, "Policies for comparison"). */
public enum Policy {
    /** The protocol: half-size first, the original when the model asks for it. */
    ADAPTIVE,
    /** Round 1 only: a resize request is recorded, not honoured. */
    LOW,
    /** Full resolution in one round with the plain Qwen2.5-VL prompt (the baseline). */
    HIGH;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Policy parse(String s) {
        return switch (s) {
            case "adaptive" -> ADAPTIVE;
            case "low" -> LOW;
            case "high" -> HIGH;
            default -> throw new IllegalArgumentException("--policy must be adaptive, low or high, got '" + s + "'");
        };
    }
}
