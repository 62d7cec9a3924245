package dev.glimpse.image;

import java.util.Locale;

/**
 * Qwen2-VL's smart_resize (SPEC §2.2): the size an image is resized to before patchifying, with
 * both sides multiples of {@code factor} (28 = patch 14 × merge 2) and the pixel count kept within
 * [minPixels, maxPixels]. Python's arithmetic to the bit: {@code round} is half-to-even
 * ({@link Math#rint}), true division and sqrt in double.
 */
public final class SmartResize {

    /** The largest max/min side ratio smart_resize accepts. */
    public static final int MAX_ASPECT_RATIO = 200;

    /** Height and width after smart_resize. */
    public record Size(int height, int width) {
    }

    private SmartResize() {
    }

    public static Size resize(int height, int width, int factor, long minPixels, long maxPixels) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        checkAspectRatio(height, width);
        long h = (long) Math.rint((double) height / factor) * factor;
        long w = (long) Math.rint((double) width / factor) * factor;
        if (h * w > maxPixels) {
            double beta = Math.sqrt((double) ((long) height * width) / maxPixels);
            h = Math.max(factor, (long) Math.floor(height / beta / factor) * factor);
            w = Math.max(factor, (long) Math.floor(width / beta / factor) * factor);
        } else if (h * w < minPixels) {
            double beta = Math.sqrt((double) minPixels / ((long) height * width));
            h = (long) Math.ceil(height * beta / factor) * factor;
            w = (long) Math.ceil(width * beta / factor) * factor;
        }
        return new Size(Math.toIntExact(h), Math.toIntExact(w));
    }

    /** transformers' check: the longer side at most 200 times the shorter one. */
    public static void checkAspectRatio(int height, int width) {
        double ratio = (double) Math.max(height, width) / Math.min(height, width);
        if (ratio > MAX_ASPECT_RATIO) {
            throw new ImageException(String.format(Locale.ROOT,
                    "%dx%d image: absolute aspect ratio must be smaller than %d, got %s", width, height,
                    MAX_ASPECT_RATIO, ratio));
        }
    }
}
