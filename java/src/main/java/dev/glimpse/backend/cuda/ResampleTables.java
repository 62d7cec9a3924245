package dev.glimpse.backend.cuda;

import dev.glimpse.image.ResampleCoefficients;
import dev.glimpse.image.ResampleFilter;

/**
 * Pillow's fixed-point resampling tables for one axis (SPEC §2.3), laid out as the resize kernels
 * take them: bounds[2i] is output i's first input tap and bounds[2i+1] its tap count;
 * coeffs[i·ksize + t] are the weights with 22 fractional bits. The numbers are the CPU path's
 * ({@link ResampleCoefficients}), so both backends resample identically.
 */
public record ResampleTables(int inSize, int outSize, int ksize, int[] bounds, int[] coeffs) {

    public static ResampleTables compute(int inSize, int outSize, ResampleFilter filter) {
        ResampleCoefficients c = ResampleCoefficients.compute(inSize, outSize, filter);
        int[] bounds = new int[2 * outSize];
        for (int i = 0; i < outSize; i++) {
            bounds[2 * i] = c.first()[i];
            bounds[2 * i + 1] = c.count()[i];
        }
        return new ResampleTables(inSize, outSize, c.taps(), bounds, c.weights());
    }
}
