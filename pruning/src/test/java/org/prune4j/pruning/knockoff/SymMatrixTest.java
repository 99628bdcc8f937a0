package org.prune4j.pruning.knockoff;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SymMatrixTest {
    private static double[][] randomSpd(int p, Random rng) {
        double[][] g = new double[p][p];
        for (double[] r : g) for (int j = 0; j < p; j++) r[j] = rng.nextGaussian();
        double[][] s = SymMatrix.mul(g, GaussianKnockoffs.transpose(g));
        for (int i = 0; i < p; i++) s[i][i] += 0.1;
        return s;
    }

    @Test
    void eigenReconstructsAndIsOrthonormal() {
        Random rng = new Random(1);
        for (int p : new int[] {1, 2, 7, 40}) {
            double[][] s = randomSpd(p, rng);
            SymMatrix.Eigen e = SymMatrix.eigen(s);
            double scale = 0;
            for (double[] r : s) for (double x : r) scale = Math.max(scale, Math.abs(x));
            for (int i = 0; i < p; i++)
                for (int j = 0; j < p; j++) {
                    double rec = 0, dot = 0;
                    for (int k = 0; k < p; k++) {
                        rec += e.vectors()[i][k] * e.values()[k] * e.vectors()[j][k];
                        dot += e.vectors()[k][i] * e.vectors()[k][j];
                    }
                    // Jacobi is backward stable: errors of a few hundred ulps of the largest entry at these sizes
                    assertEquals(s[i][j], rec, 1e-12 * scale * p, "V Λ Vᵀ at " + i + "," + j);
                    assertEquals(i == j ? 1 : 0, dot, 1e-12 * p, "VᵀV at " + i + "," + j);
                }
            for (int k = 1; k < p; k++) assertTrue(e.values()[k - 1] <= e.values()[k], "ascending");
        }
    }

    @Test
    void knownSpectrum() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3
        SymMatrix.Eigen e = SymMatrix.eigen(new double[][] {{2, 1}, {1, 2}});
        assertEquals(1, e.values()[0], 1e-15);
        assertEquals(3, e.values()[1], 1e-15);
    }

    @Test
    void inverseTimesMatrixIsIdentity() {
        Random rng = new Random(2);
        double[][] s = randomSpd(30, rng);
        double[][] prod = SymMatrix.mul(s, SymMatrix.spdInverse(s));
        double cond = SymMatrix.eigen(s).values()[29] / SymMatrix.eigen(s).values()[0];
        for (int i = 0; i < 30; i++) for (int j = 0; j < 30; j++) assertEquals(i == j ? 1 : 0, prod[i][j], 1e-14 * cond * 30);
    }

    @Test
    void lanczosBoundsTheSmallestEigenvalueFromBelow() {
        Random rng = new Random(6);
        for (int p : new int[] {5, 60, 120}) {
            double[][] s = randomSpd(p, rng);
            double exact = SymMatrix.eigen(s).min(), top = SymMatrix.eigen(s).values()[p - 1];
            for (int steps : new int[] {p, 100}) {
                double bound = SymMatrix.lambdaMinLowerBound(s, steps, 0);
                // a lower bound, up to rounding of the order of ulp(λ_max) per step
                assertTrue(bound <= exact + 1e-12 * top * steps, "p=" + p + " steps=" + steps + ": " + bound + " > λ_min " + exact);
                if (steps >= p) assertEquals(exact, bound, 1e-10 * top, "a full Krylov space gives λ_min itself");
            }
        }
    }

    @Test
    void blockDiagonalProductsEqualDenseOnes() {
        Random rng = new Random(7);
        double[][] a = randomSpd(12, rng), d = randomSpd(12, rng);
        for (int i = 0; i < 12; i++) for (int j = 0; j < 12; j++) if (i / 3 != j / 3) d[i][j] = 0;
        double[][] r = SymMatrix.mul(a, d), l = SymMatrix.mul(d, a);
        double[][] rb = SymMatrix.timesBlockDiag(a, d, 3), lb = SymMatrix.blockDiagTimes(d, a, 3);
        for (int i = 0; i < 12; i++) {
            assertArrayEquals(r[i], rb[i], 1e-12);
            assertArrayEquals(l[i], lb[i], 1e-12);
        }
    }

    @Test
    void choleskyRefusesIndefinite() {
        var e = assertThrows(IllegalArgumentException.class, () -> SymMatrix.cholesky(new double[][] {{1, 2}, {2, 1}}));
        assertTrue(e.getMessage().contains("not positive definite"), e.getMessage());
    }
}
