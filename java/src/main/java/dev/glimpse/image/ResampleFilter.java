package dev.glimpse.image;

/** Pillow's antialiasing resampling filters, with the kernels and supports of libImaging/Resample.c. */
public enum ResampleFilter {
    /** Keys' cubic convolution with a = -0.5 (Pillow's BICUBIC), support 2. */
    BICUBIC(2.0) {
        @Override
        double weight(double x) {
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
    },
    /** sinc(x)·sinc(x/3) on [-3, 3) (Pillow's LANCZOS), support 3. */
    LANCZOS(3.0) {
        @Override
        double weight(double x) {
            if (-3.0 <= x && x < 3.0) {
                return sinc(x) * sinc(x / 3);
            }
            return 0.0;
        }
    };

    private final double support;

    ResampleFilter(double support) {
        this.support = support;
    }

    /** Half-width of the kernel in input pixels at scale 1. */
    public double support() {
        return support;
    }

    /** The kernel's value at distance x (in output-pixel units). */
    abstract double weight(double x);

    // StrictMath (fdlibm) so that the weights are the same on every JVM and platform.
    private static double sinc(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        x = x * Math.PI;
        return StrictMath.sin(x) / x;
    }
}
