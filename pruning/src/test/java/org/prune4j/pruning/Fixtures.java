package org.prune4j.pruning;

import java.util.SplittableRandom;

/** Seeded random matrices for the pruning tests. */
public final class Fixtures {
    private Fixtures() {}

    /** Gaussian [rows, cols] times std. */
    public static float[] gaussian(long seed, int rows, int cols, double std) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) a[i] = (float) (std * gauss(r));
        return a;
    }

    /** Scores drawn from a few values only, so that ties are everywhere. */
    public static float[] tied(long seed, int rows, int cols, int levels) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) a[i] = r.nextInt(levels);
        return a;
    }

    /**
     * Correlated inputs X [tokens, width] like real activations: Gaussian factors mixed by a random matrix, and
     * features of very different scales (a few outlier features, as in LLMs), so that Wanda and SparseGPT have
     * something to exploit.
     */
    public static float[] correlatedInputs(long seed, int tokens, int width) {
        SplittableRandom r = new SplittableRandom(seed);
        int factors = Math.max(2, width / 2);
        double[] mix = new double[factors * width];
        for (int i = 0; i < mix.length; i++) mix[i] = gauss(r) / Math.sqrt(factors);
        double[] scale = new double[width];
        for (int j = 0; j < width; j++) scale[j] = Math.exp(1.0 * gauss(r)) * (r.nextInt(10) == 0 ? 8 : 1);
        float[] x = new float[tokens * width];
        double[] z = new double[factors];
        for (int t = 0; t < tokens; t++) {
            for (int f = 0; f < factors; f++) z[f] = gauss(r);
            for (int j = 0; j < width; j++) {
                double v = 0.3 * gauss(r);
                for (int f = 0; f < factors; f++) v += z[f] * mix[f * width + j];
                x[t * width + j] = (float) (v * scale[j]);
            }
        }
        return x;
    }

    static double gauss(SplittableRandom r) {
        double u1 = 1.0 - r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Frobenius norm of (W - V) X^T over all tokens: the layer's output error on inputs x [tokens, cols]. */
    public static double outputError(float[] w, float[] v, int rows, int cols, float[] x, int tokens) {
        double err = 0;
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < rows; r++) {
                double d = 0;
                for (int c = 0; c < cols; c++) d += ((double) w[r * cols + c] - v[r * cols + c]) * x[t * cols + c];
                err += d * d;
            }
        return Math.sqrt(err);
    }

    public static long zeros(float[] w) {
        long z = 0;
        for (float v : w) if (v == 0f) z++;
        return z;
    }
}
