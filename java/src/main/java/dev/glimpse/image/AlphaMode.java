package dev.glimpse.image;

/** What happens to an alpha channel (RGBA, gray + alpha, or a palette with transparency). */
public enum AlphaMode {
    /** Dropped, colours kept: PIL's convert("RGB"), which the transformers reference uses (default). */
    DROP,
    /** Composited over white as qwen_vl_utils and vLLM do, with Pillow's paste rounding. */
    OVER_WHITE
}
