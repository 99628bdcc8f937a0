package org.prune4j.tensor;

/**
 * erf and erfc in double precision for the oracle (GELU). Two textbook expansions, each used where it has
 * no cancellation, so the result is good to ~1e-15 relative; the float kernels are tested against this.
 */
public final class Erf {
    private Erf() {}

    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

    /** erf(x). */
    public static double erf(double x) {
        double z = Math.abs(x);
        double r = z < 2.5 ? erfSeries(z) : 1 - erfcContinuedFraction(z);
        return x < 0 ? -r : r;
    }

    /** erfc(x) = 1 - erf(x), accurate in relative terms also deep in the tail (erfc(9) ~ 4e-37). */
    public static double erfc(double x) {
        if (x < 2.5) return 1 - erf(x); // >= erfc(2.5) = 4e-4 here: the cancellation costs < 4 of 16 digits
        return erfcContinuedFraction(x);
    }

    /** erf(z) = 2z/sqrt(pi) e^(-z^2) sum_n (2z^2)^n / (1*3*...*(2n+1)), z >= 0: every term positive. */
    private static double erfSeries(double z) {
        double z2 = z * z, term = 1, sum = 1;
        for (int n = 1; n < 200 && term > 1e-18 * sum; n++) {
            term *= 2 * z2 / (2 * n + 1);
            sum += term;
        }
        return TWO_OVER_SQRT_PI * z * Math.exp(-z2) * sum;
    }

    /**
     * erfc(z) = e^(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + 2/(z + ...))))) for z >= 2.5 (Laplace's
     * continued fraction), evaluated bottom-up from a depth where it has converged to double precision.
     */
    private static double erfcContinuedFraction(double z) {
        double k = z;
        for (int n = 120; n >= 1; n--) k = z + (n / 2.0) / k;
        return Math.exp(-z * z) / Math.sqrt(Math.PI) / k;
    }
}
