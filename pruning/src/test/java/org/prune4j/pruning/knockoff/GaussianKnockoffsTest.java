package org.prune4j.pruning.knockoff;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class GaussianKnockoffsTest {
    /**
     * Bonferroni over the (2p)(2p+1)/2 distinct entries of the joint covariance with a family-wise false-alarm rate of
     * 1e-6: per entry 2e-10 two-sided, z = 6.4; 6.5 is used.
     */
    private static final double Z = 6.5;

    /**
     * Checks the first two moments of (X, X̃) against the construction's: E[X̃] = μ, Cov[X̃] = Σ, Cov[X, X̃] = Σ − D.
     * A sample covariance entry of jointly Gaussian variables has variance (c_ii c_jj + c_ij²)/n.
     */
    private static void checkMoments(double[] mean, double[][] sigma, GaussianKnockoffs ko, int n, long seed) {
        int p = mean.length;
        Random rng = new Random(seed);
        double[][] x = Gaussians.sample(mean, sigma, n, rng);
        double[][] xt = ko.sample(x, rng);
        double[][] d = ko.d();
        double[][] target = new double[2 * p][2 * p];
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++) {
                target[i][j] = sigma[i][j];
                target[p + i][p + j] = sigma[i][j];
                target[i][p + j] = sigma[i][j] - d[i][j];
                target[p + i][j] = sigma[i][j] - d[i][j];
            }
        double[] m = new double[2 * p];
        for (int r = 0; r < n; r++) for (int j = 0; j < p; j++) {
            m[j] += x[r][j] / n;
            m[p + j] += xt[r][j] / n;
        }
        for (int j = 0; j < p; j++)
            assertEquals(mean[j], m[p + j], Z * Math.sqrt(sigma[j][j] / n) + 1e-12, "E[X̃_" + j + "]");
        double[][] cov = new double[2 * p][2 * p];
        double[] row = new double[2 * p];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < p; j++) {
                row[j] = x[r][j] - m[j];
                row[p + j] = xt[r][j] - m[p + j];
            }
            for (int i = 0; i < 2 * p; i++) for (int j = 0; j <= i; j++) cov[i][j] += row[i] * row[j] / n;
        }
        double worst = 0;
        for (int i = 0; i < 2 * p; i++)
            for (int j = 0; j <= i; j++) {
                double se = Math.sqrt((target[i][i] * target[j][j] + target[i][j] * target[i][j]) / n);
                double z = Math.abs(cov[i][j] - target[i][j]) / se;
                worst = Math.max(worst, z);
                assertTrue(z <= Z, "joint covariance at (" + i + ", " + j + "): " + cov[i][j] + " vs " + target[i][j] + " (" + z + " standard errors)");
            }
        System.out.printf("knockoff moments p=%d group=%d gamma=%.3f: worst entry %.2f standard errors%n", p, ko.groupSize(), ko.gamma(), worst);
    }

    @Test
    void equicorrelatedKnockoffsHaveTheRightFirstTwoMoments() {
        int p = 50;
        double[] scale = new double[p], mean = new double[p];
        for (int j = 0; j < p; j++) {
            scale[j] = 0.5 + (j % 7) * 0.3;   // unequal variances: s_j scales with σ_j²
            mean[j] = j % 3 - 1;
        }
        double[][] sigma = Gaussians.ar1(p, 0.5, scale);
        GaussianKnockoffs ko = GaussianKnockoffs.equicorrelated(mean, sigma, null, 1);
        // groups of one: γ = min(1, 2 (1 − ε) λ_min(R)), R the correlation matrix
        double lmin = SymMatrix.eigen(Gaussians.ar1(p, 0.5, Gaussians.ones(p))).min();
        assertEquals(Math.min(1, 2 * (1 - GaussianKnockoffs.SAFETY) * lmin), ko.gamma(), 1e-12);
        for (int j = 0; j < p; j++) assertEquals(ko.gamma() * sigma[j][j], ko.d()[j][j], 1e-12, "s_" + j);
        checkMoments(mean, sigma, ko, 20_000, 11);
    }

    @Test
    void groupKnockoffsHaveTheRightFirstTwoMoments() {
        int p = 40;
        double[][] sigma = Gaussians.ar1(p, 0.7, Gaussians.ones(p));
        GaussianKnockoffs ko = GaussianKnockoffs.equicorrelated(new double[p], sigma, null, 5);
        double[][] d = ko.d();
        assertEquals(ko.gamma() * sigma[0][4], d[0][4], 1e-12, "D is γ Σ inside a group");
        assertEquals(0, d[4][5], 0, "and zero across groups");
        checkMoments(new double[p], sigma, ko, 20_000, 12);
    }

    @Test
    void theLanczosPathForLargeModelsGivesTheSameMoments() {
        int p = 50;
        double[][] sigma = Gaussians.ar1(p, 0.6, Gaussians.ones(p));
        int saved = GaussianKnockoffs.JACOBI_MAX;
        GaussianKnockoffs.JACOBI_MAX = 10; // force the Lanczos bound
        try {
            GaussianKnockoffs ko = GaussianKnockoffs.equicorrelated(new double[p], sigma, null, 1);
            GaussianKnockoffs.JACOBI_MAX = saved;
            GaussianKnockoffs exact = GaussianKnockoffs.equicorrelated(new double[p], sigma, null, 1);
            assertTrue(ko.gamma() <= exact.gamma() + 1e-12 && ko.gamma() > 0.99 * exact.gamma(), ko.gamma() + " vs " + exact.gamma());
            checkMoments(new double[p], sigma, ko, 20_000, 15);
        } finally {
            GaussianKnockoffs.JACOBI_MAX = saved;
        }
    }

    @Test
    void aWrongConstructionFailsTheMomentCheck() {
        // an independent copy of X (right marginals, no cross structure) must fail: the check can fail
        int p = 20;
        double[][] sigma = Gaussians.ar1(p, 0.5, Gaussians.ones(p));
        GaussianKnockoffs ko = GaussianKnockoffs.equicorrelated(new double[p], sigma, null, 1);
        Random rng = new Random(13);
        int n = 20_000;
        double[][] x = Gaussians.sample(new double[p], sigma, n, rng);
        double[][] copy = Gaussians.sample(new double[p], sigma, n, rng);
        double c01 = 0;
        for (int r = 0; r < n; r++) c01 += x[r][0] * copy[r][1] / n;
        double target = sigma[0][1] - ko.d()[0][1];
        assertTrue(Math.abs(c01 - target) / Math.sqrt((1 + target * target) / n) > Z, "an independent copy has Cov[X_0, X̃_1] = 0, not Σ_01");
    }

    @Test
    void deadFeaturesAreTheirOwnKnockoffs() {
        int p = 6;
        double[][] sigma = Gaussians.ar1(p, 0.3, Gaussians.ones(p));
        double[] var = {1, 1, 0, 1, 1, 1};
        GaussianKnockoffs ko = GaussianKnockoffs.equicorrelated(new double[p], sigma, var, 1);
        assertTrue(ko.dead(2));
        assertEquals(1, ko.deadCount());
        Random rng = new Random(14);
        double[][] x = Gaussians.sample(new double[p], sigma, 100, rng);
        for (double[] r : x) r[2] = 0.25;
        double[][] xt = ko.sample(x, rng);
        for (int r = 0; r < 100; r++) assertEquals(x[r][2], xt[r][2], 1e-12);
        assertThrows(IllegalArgumentException.class, () -> GaussianKnockoffs.equicorrelated(new double[p], sigma, new double[p], 1));
    }
}
