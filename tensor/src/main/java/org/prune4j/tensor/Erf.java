package org.prune4j.tensor;

/** The error function in double precision (|error| < 1.2e-7, W. J. Cody's rational approximations via erfc). */
public final class Erf {
    private Erf() {}

    /** erf(x), accurate to float precision and beyond. */
    public static double erf(double x) {
        // Numerical Recipes' erfc with Chebyshev fit, fractional error < 1.2e-7 everywhere.
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - r : r - 1;
    }
}
