/**
 * Image input, from encoded bytes to the vision tower's pixel_values, as transformers' PIL path
 * computes it (SPEC §2).
 *
 * <pre>
 * bytes ─ ImageDecoder (OpenCV) ─ RgbImage ─┬─ QwenImageProcessor: SmartResize, PillowResampler (BICUBIC),
 *                                           │   rescale + normalize, patchify ─ PixelValues
 *                                           └─ VisionThinkImages: halfSize (round 1), minSide28 (LANCZOS)
 * </pre>
 *
 * {@link dev.glimpse.image.PillowResampler} is byte-exact with Pillow 12.3's {@code Image.resize}
 * for BICUBIC and LANCZOS; its scalar implementation is kept as the reference for the Vector API one.
 * Golden data: tools/reference/pillow_fixtures.py.
 */
package dev.glimpse.image;
