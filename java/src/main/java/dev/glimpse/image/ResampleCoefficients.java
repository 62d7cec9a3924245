package dev.glimpse.image;

/**
 * One axis of a Pillow resample: for each output index, the first input index it reads, how many
 * inputs it reads, and their weights in 22-bit fixed point (at most {@code taps} per output, the
 * rest zero). Computed in double exactly as Pillow's precompute_coeffs and normalize_coeffs_8bpc
 * do, so that the integer sums that follow are Pillow's to the bit.
 */
public record ResampleCoefficients(int inSize, int outSize, int taps, int[] first, int[] count, int[] weights) {

    /** Fixed-point precision: 32 bits less 8 for the pixel and 2 for the overshoot of negative lobes. */
    public static final int PRECISION_BITS = 32 - 8 - 2;
    /** The accumulator's start value: one half, so that the final shift rounds. */
    public static final int HALF = 1 << (PRECISION_BITS - 1);

    public static ResampleCoefficients compute(int inSize, int outSize, ResampleFilter filter) {
        if (inSize < 1 || outSize < 1) {
            throw new IllegalArgumentException("resample sizes must be positive: " + inSize + " -> " + outSize);
        }
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support() * filterScale;
        int taps = (int) Math.ceil(support) * 2 + 1;
        double inverseFilterScale = 1.0 / filterScale; // Pillow multiplies by the inverse: keep it
        int[] first = new int[outSize];
        int[] count = new int[outSize];
        int[] weights = new int[outSize * taps];
        double[] w = new double[taps];
        for (int i = 0; i < outSize; i++) {
            double center = (i + 0.5) * scale;
            int min = Math.max((int) (center - support + 0.5), 0); // C truncation toward zero
            int max = Math.min((int) (center + support + 0.5), inSize);
            int n = max - min;
            double sum = 0.0;
            for (int x = 0; x < n; x++) {
                w[x] = filter.weight((x + min - center + 0.5) * inverseFilterScale);
                sum += w[x];
            }
            for (int x = 0; x < n; x++) {
                double normalized = sum != 0.0 ? w[x] / sum : w[x];
                weights[i * taps + x] = toFixedPoint(normalized);
            }
            first[i] = min;
            count[i] = n;
        }
        return new ResampleCoefficients(inSize, outSize, taps, first, count, weights);
    }

    /** Rounds half away from zero, as Pillow's normalize_coeffs_8bpc (not Python's round). */
    static int toFixedPoint(double w) {
        double scaled = w * (1 << PRECISION_BITS);
        return w < 0 ? (int) (-0.5 + scaled) : (int) (0.5 + scaled);
    }

    /** The pixel value of a finished sum: Pillow's clip8. */
    static int clip8(int sum) {
        return Math.clamp(sum >> PRECISION_BITS, 0, 255);
    }
}
