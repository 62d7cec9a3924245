package dev.glimpse.image;

import dev.glimpse.model.PreprocessorConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * transformers' Qwen2VLImageProcessor on its PIL path (SPEC §2): smart_resize, Pillow-exact
 * BICUBIC, x/255 in double stored as float32, (x − mean)/std in float32, a still image as two
 * identical frames, patches in merge-block order. The constructor takes the fields of
 * preprocessor_config.json (dev.glimpse.model.PreprocessorConfig).
 */
public final class QwenImageProcessor {

    private final int minPixels;
    private final int maxPixels;
    private final int patchSize;
    private final int temporalPatchSize;
    private final int mergeSize;
    /** normalized[c][v]: the float32 value of channel c's byte v after rescale and normalize. */
    private final float[][] normalized = new float[3][256];

    public QwenImageProcessor(int minPixels, int maxPixels, int patchSize, int temporalPatchSize, int mergeSize,
            float[] imageMean, float[] imageStd) {
        if (minPixels < 1 || maxPixels < minPixels || patchSize < 1 || temporalPatchSize < 1 || mergeSize < 1) {
            throw new IllegalArgumentException("bad image processor settings: min_pixels " + minPixels
                    + ", max_pixels " + maxPixels + ", patch " + patchSize + ", temporal patch " + temporalPatchSize
                    + ", merge " + mergeSize);
        }
        if (imageMean.length != 3 || imageStd.length != 3) {
            throw new IllegalArgumentException("image_mean and image_std need 3 values (RGB), got "
                    + imageMean.length + " and " + imageStd.length);
        }
        this.minPixels = minPixels;
        this.maxPixels = maxPixels;
        this.patchSize = patchSize;
        this.temporalPatchSize = temporalPatchSize;
        this.mergeSize = mergeSize;
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                float rescaled = (float) (v * (1.0 / 255)); // numpy: float64 multiply, then astype(float32)
                normalized[c][v] = (rescaled - imageMean[c]) / imageStd[c]; // float32, true division
            }
        }
    }

    /** The processor a checkpoint's preprocessor_config.json describes. */
    public static QwenImageProcessor of(PreprocessorConfig c) {
        return new QwenImageProcessor(c.minPixels(), c.maxPixels(), c.patchSize(), c.temporalPatchSize(),
                c.mergeSize(), c.imageMean(), c.imageStd());
    }

    /** Qwen2-VL's processor with transformers' defaults (min 3136, max 1003520 pixels, CLIP normalization). */
    public static QwenImageProcessor withDefaults() {
        return of(PreprocessorConfig.defaults());
    }

    /** The size smart_resize picks for an image of this size. */
    public SmartResize.Size targetSize(int height, int width) {
        return SmartResize.resize(height, width, patchSize * mergeSize, minPixels, maxPixels);
    }

    /** Floats per patch row: 3 channels × temporal patch × patch². */
    public int patchDim() {
        return 3 * temporalPatchSize * patchSize * patchSize;
    }

    /** pixel_values and grid_thw of one still image, allocated in {@code arena}. */
    public PixelValues process(RgbImage image, Arena arena) {
        SmartResize.Size size = targetSize(image.height(), image.width());
        RgbImage resized = PillowResampler.vector().resize(image, size.width(), size.height(), ResampleFilter.BICUBIC);
        return patchify(resized, arena);
    }

    /** Rescale, normalize and patchify an image already at a smart_resize size. */
    PixelValues patchify(RgbImage image, Arena arena) {
        int gridH = image.height() / patchSize;
        int gridW = image.width() / patchSize;
        int cols = patchDim();
        int rows = gridH * gridW;
        MemorySegment data = arena.allocate((long) rows * cols * Float.BYTES, Float.BYTES);
        float[] patch = new float[cols];
        int frame = patchSize * patchSize;
        int row = 0;
        for (int bh = 0; bh < gridH / mergeSize; bh++) {
            for (int bw = 0; bw < gridW / mergeSize; bw++) {
                for (int mh = 0; mh < mergeSize; mh++) {
                    for (int mw = 0; mw < mergeSize; mw++) {
                        int y0 = (bh * mergeSize + mh) * patchSize;
                        int x0 = (bw * mergeSize + mw) * patchSize;
                        for (int c = 0; c < 3; c++) {
                            int base = c * temporalPatchSize * frame;
                            for (int py = 0; py < patchSize; py++) {
                                for (int px = 0; px < patchSize; px++) {
                                    patch[base + py * patchSize + px] = normalized[c][image.get(x0 + px, y0 + py, c)];
                                }
                            }
                            for (int t = 1; t < temporalPatchSize; t++) { // a still image repeats its frame
                                System.arraycopy(patch, base, patch, base + t * frame, frame);
                            }
                        }
                        MemorySegment.copy(patch, 0, data, ValueLayout.JAVA_FLOAT, (long) row * cols * Float.BYTES, cols);
                        row++;
                    }
                }
            }
        }
        return new PixelValues(data, rows, cols, 1, gridH, gridW);
    }
}
