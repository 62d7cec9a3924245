package dev.glimpse.model;

import java.util.Arrays;
import java.util.Objects;

/** The image processor's settings (preprocessor_config.json): pixel budget, patching, normalization. */
public record PreprocessorConfig(int minPixels, int maxPixels, int patchSize, int temporalPatchSize, int mergeSize,
        float[] imageMean, float[] imageStd) {

    public static final int DEFAULT_MIN_PIXELS = 3136;
    public static final int DEFAULT_MAX_PIXELS = 1003520;
    /** CLIP's per-channel mean and standard deviation (SPEC §2.4). */
    public static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    public static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    public PreprocessorConfig {
        imageMean = imageMean.clone();
        imageStd = imageStd.clone();
    }

    /** What the image processor uses when preprocessor_config.json is absent. */
    public static PreprocessorConfig defaults() {
        return new PreprocessorConfig(DEFAULT_MIN_PIXELS, DEFAULT_MAX_PIXELS, 14, 2, 2, CLIP_MEAN, CLIP_STD);
    }

    @Override
    public float[] imageMean() {
        return imageMean.clone();
    }

    @Override
    public float[] imageStd() {
        return imageStd.clone();
    }

    // Records compare arrays by identity; configs are values, so compare contents.
    @Override
    public boolean equals(Object o) {
        return o instanceof PreprocessorConfig p && minPixels == p.minPixels && maxPixels == p.maxPixels
                && patchSize == p.patchSize && temporalPatchSize == p.temporalPatchSize
                && mergeSize == p.mergeSize && Arrays.equals(imageMean, p.imageMean)
                && Arrays.equals(imageStd, p.imageStd);
    }

    @Override
    public int hashCode() {
        return Objects.hash(minPixels, maxPixels, patchSize, temporalPatchSize, mergeSize,
                Arrays.hashCode(imageMean), Arrays.hashCode(imageStd));
    }

    @Override
    public String toString() {
        return "PreprocessorConfig[minPixels=" + minPixels + ", maxPixels=" + maxPixels + ", patchSize=" + patchSize
                + ", temporalPatchSize=" + temporalPatchSize + ", mergeSize=" + mergeSize + ", imageMean="
                + Arrays.toString(imageMean) + ", imageStd=" + Arrays.toString(imageStd) + "]";
    }
}
