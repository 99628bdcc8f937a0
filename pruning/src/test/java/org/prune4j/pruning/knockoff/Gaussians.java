package org.prune4j.pruning.knockoff;

import java.util.Random;

/** Test fixtures: known correlated covariances and exact Gaussian samples from them. */
final class Gaussians {
    private Gaussians() {}

    /** AR(1) correlation Σ_ij = ρ^|i−j| with unit variances scaled by {@code scale[j]} (σ_i σ_j ρ^|i−j|). */
    static double[][] ar1(int p, double rho, double[] scale) {
        double[][] s = new double[p][p];
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++) s[i][j] = scale[i] * scale[j] * Math.pow(rho, Math.abs(i - j));
        return s;
    }

    static double[] ones(int p) {
        double[] o = new double[p];
        java.util.Arrays.fill(o, 1);
        return o;
    }

    /** n rows of N(mean, sigma): x = mean + z Lᵀ with Σ = L Lᵀ. */
    static double[][] sample(double[] mean, double[][] sigma, int n, Random rng) {
        int p = mean.length;
        double[][] l = SymMatrix.cholesky(sigma);
        double[][] x = new double[n][p];
        double[] z = new double[p];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < p; j++) z[j] = rng.nextGaussian();
            for (int i = 0; i < p; i++) {
                double s = mean[i];
                for (int k = 0; k <= i; k++) s += l[i][k] * z[k];
                x[r][i] = s;
            }
        }
        return x;
    }
}
