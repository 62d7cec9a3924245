package dev.glimpse.backend.cpu;

/**
 * The error function in double precision, to about 1e-13 relative, for the reference GELU (Java has no
 * Math.erf). Small arguments use the all-positive series erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)),
 * which has no cancellation; large ones the continued fraction
 * erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated backwards.
 */
public final class Erf {

    /** Where the continued fraction takes over from the series (both are at full precision there). */
    private static final double SWITCH = 2.5;
    /** Enough continued-fraction terms for full double precision at x ≥ SWITCH. */
    private static final int FRACTION_TERMS = 60;
    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
    private static final double ONE_OVER_SQRT_PI = 1 / Math.sqrt(Math.PI);

    private Erf() {
    }

    public static double erf(double x) {
        double a = Math.abs(x);
        if (a < SWITCH) {
            return series(x);
        }
        return Math.copySign(1 - fraction(a), x);
    }

    /** 1 − erf(x), accurate (relative) also where erf(x) is close to 1. */
    public static double erfc(double x) {
        if (x < SWITCH) {
            return 1 - erf(x);
        }
        return fraction(x);
    }

    private static double series(double x) {
        double x2 = x * x;
        double term = x;
        double sum = x;
        for (int n = 0; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
            term *= 2 * x2 / (2 * n + 3);
            sum += term;
        }
        return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
    }

    private static double fraction(double x) {
        double f = x;
        for (int n = FRACTION_TERMS; n > 0; n--) {
            f = x + (n / 2.0) / f;
        }
        return ONE_OVER_SQRT_PI * Math.exp(-x * x) / f;
    }
}
