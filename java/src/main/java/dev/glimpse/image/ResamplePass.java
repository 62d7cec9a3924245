package dev.glimpse.image;

/**
 * The two one-axis passes of a separable resample on RGB rows (3 bytes a pixel). Each output
 * value is {@code clip8(HALF + Σ pixel·weight)}: integer sums, so every implementation gives the
 * same bytes. Implementations: {@link ScalarResamplePass} (the reference) and
 * {@link VectorResamplePass}. Row ranges let callers split the work over threads.
 */
interface ResamplePass {

    /** Rows [y0, y1) of {@code dst} (c.outSize() pixels wide) from the same rows of {@code src}. */
    void horizontal(byte[] src, int srcWidth, byte[] dst, ResampleCoefficients c, int y0, int y1);

    /** Output rows [y0, y1) of {@code dst} from the rows of {@code src} that c names; both {@code width} pixels wide. */
    void vertical(byte[] src, byte[] dst, int width, ResampleCoefficients c, int y0, int y1);
}
