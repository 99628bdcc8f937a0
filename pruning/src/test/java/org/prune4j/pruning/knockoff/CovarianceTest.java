package org.prune4j.pruning.knockoff;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CovarianceTest {
    private static Covariance feed(double[][] x) {
        Covariance c = new Covariance(x[0].length);
        float[] row = new float[x[0].length];
        for (double[] r : x) {
            for (int j = 0; j < r.length; j++) row[j] = (float) r[j];
            c.add(row, 0);
        }
        return c;
    }

    /** Ledoit–Wolf written out directly from the centred samples (two passes), the oracle for the one-pass form. */
    private static double lwDelta(double[][] x) {
        int n = x.length, p = x[0].length;
        double[] mu = new double[p];
        for (double[] r : x) for (int j = 0; j < p; j++) mu[j] += (float) r[j] / (double) n;
        double[][] s = new double[p][p];
        for (double[] r : x) for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) s[i][j] += ((float) r[i] - mu[i]) * ((float) r[j] - mu[j]) / n;
        double m = 0;
        for (int j = 0; j < p; j++) m += s[j][j] / p;
        double d2 = 0;
        for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) d2 += Math.pow(s[i][j] - (i == j ? m : 0), 2) / p;
        double b2 = 0;
        for (double[] r : x) {
            double f = 0;
            for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) f += Math.pow(((float) r[i] - mu[i]) * ((float) r[j] - mu[j]) - s[i][j], 2);
            b2 += f / p / ((double) n * n);
        }
        return Math.min(b2, d2) / d2;
    }

    @Test
    void onePassShrinkageEqualsTheTwoPassFormula() {
        Random rng = new Random(3);
        int p = 12;
        double[] mean = new double[p];
        for (int j = 0; j < p; j++) mean[j] = 5 + j; // far from zero: the shifted-moment algebra must undo the offset
        for (int n : new int[] {6, 40, 500}) {
            double[][] x = Gaussians.sample(mean, Gaussians.ar1(p, 0.6, Gaussians.ones(p)), n, rng);
            Covariance.Estimate e = feed(x).estimate();
            assertEquals(lwDelta(x), e.shrinkage(), 1e-9, "δ at n = " + n);
        }
    }

    @Test
    void blockGramPathEqualsTheRowByRowPath() {
        // the cross products from a float "GEMM" per block (here a plain float loop) match the double row path to
        // float rounding of one block's sums: |error| <= rows · ulp-level (1e-6 relative) of the largest entry
        Random rng = new Random(8);
        int p = 9, n = 300;
        double[] mean = new double[p];
        for (int j = 0; j < p; j++) mean[j] = 3 - j;
        double[][] x = Gaussians.sample(mean, Gaussians.ar1(p, 0.5, Gaussians.ones(p)), n, rng);
        float[] flat = new float[n * p];
        for (int r = 0; r < n; r++) for (int j = 0; j < p; j++) flat[r * p + j] = (float) x[r][j];
        Covariance rows = feed(x), blocks = new Covariance(p);
        Covariance.Gram gram = (d, m, q) -> {
            float[] g = new float[q * q];
            for (int r = 0; r < m; r++) for (int i = 0; i < q; i++) for (int j = 0; j < q; j++) g[i * q + j] += d[r * q + i] * d[r * q + j];
            return g;
        };
        for (int b = 0; b < n; b += 64) {
            int m = Math.min(64, n - b);
            blocks.addRows(java.util.Arrays.copyOfRange(flat, b * p, (b + m) * p), m, gram);
        }
        Covariance.Estimate a = rows.estimate(), e = blocks.estimate();
        assertEquals(a.shrinkage(), e.shrinkage(), 1e-5);
        for (int i = 0; i < p; i++) {
            assertEquals(a.mean()[i], e.mean()[i], 1e-12);
            for (int j = 0; j < p; j++) assertEquals(a.sigma()[i][j], e.sigma()[i][j], 1e-5, "Σ at " + i + "," + j);
        }
    }

    @Test
    void singularSampleCovarianceIsShrunkToPositiveDefinite() {
        // n = 5 < p = 20, plus two identical columns and one dead column: the sample covariance is singular
        Random rng = new Random(4);
        int p = 20;
        double[][] x = Gaussians.sample(new double[p], SymMatrix.identity(p), 5, rng);
        for (double[] r : x) {
            r[1] = r[0];
            r[2] = 0;
        }
        Covariance.Estimate e = feed(x).estimate();
        assertTrue(e.shrinkage() > 0, "shrinkage " + e.shrinkage());
        assertTrue(SymMatrix.eigen(e.sigma()).min() > 0, "λ_min of the shrunk covariance");
        assertEquals(0, e.sampleVariance()[2], 0);
    }

    @Test
    void manySamplesNeedLittleShrinkage() {
        // δ → 0 as n grows with p fixed and a covariance far from the identity (b² = O(1/n), d² = O(1))
        Random rng = new Random(5);
        int p = 10;
        double[][] x = Gaussians.sample(new double[p], Gaussians.ar1(p, 0.8, Gaussians.ones(p)), 20_000, rng);
        assertTrue(feed(x).estimate().shrinkage() < 0.01);
    }
}
