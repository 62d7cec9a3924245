package dev.glimpse.backend.cuda;

/**
 * Pillow's fixed-point resampling tables for one axis (SPEC §2.3), as the resize kernels take them:
 * for output index i, bounds[2i] is the first input tap and bounds[2i+1] the tap count;
 * coeffs[i·ksize + t] are the weights with 22 fractional bits.
 */
public record ResampleTables(int inSize, int outSize, int ksize, int[] bounds, int[] coeffs) {

    public enum Filter {
        BICUBIC(2.0),
        LANCZOS(3.0);

        final double support;

        Filter(double support) {
            this.support = support;
        }

        double weight(double x) {
            return switch (this) {
                case BICUBIC -> bicubic(x);
                case LANCZOS -> (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3.0) : 0.0;
            };
        }

        private static double bicubic(double x) {
            final double a = -0.5;
            x = Math.abs(x);
            if (x < 1.0) {
                return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
            }
            if (x < 2.0) {
                return (((x - 5) * x + 8) * x - 4) * a;
            }
            return 0.0;
        }

        private static double sinc(double x) {
            if (x == 0.0) {
                return 1.0;
            }
            x = x * Math.PI;
            return Math.sin(x) / x;
        }
    }

    private static final int PRECISION_BITS = 22;

    public static ResampleTables compute(int inSize, int outSize, Filter filter) {
        if (inSize < 1 || outSize < 1) {
            throw new IllegalArgumentException("resize: sizes must be positive, got " + inSize + " -> " + outSize);
        }
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support * filterScale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        double ss = 1.0 / filterScale;
        int[] bounds = new int[2 * outSize];
        int[] coeffs = new int[outSize * ksize];
        double[] weights = new double[ksize];
        for (int i = 0; i < outSize; i++) {
            double center = (i + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize);
            int taps = xmax - xmin;
            double total = 0.0;
            for (int t = 0; t < taps; t++) {
                double w = filter.weight((t + xmin - center + 0.5) * ss);
                weights[t] = w;
                total += w;
            }
            for (int t = 0; t < taps; t++) {
                double w = total != 0.0 ? weights[t] / total : weights[t];
                coeffs[i * ksize + t] = w < 0 ? (int) (-0.5 + w * (1 << PRECISION_BITS))
                        : (int) (0.5 + w * (1 << PRECISION_BITS));
            }
            bounds[2 * i] = xmin;
            bounds[2 * i + 1] = taps;
        }
        return new ResampleTables(inSize, outSize, ksize, bounds, coeffs);
    }
}
