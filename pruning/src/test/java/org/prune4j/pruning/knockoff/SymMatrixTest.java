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
    void choleskyRefusesIndefinite() {
        var e = assertThrows(IllegalArgumentException.class, () -> SymMatrix.cholesky(new double[][] {{1, 2}, {2, 1}}));
        assertTrue(e.getMessage().contains("not positive definite"), e.getMessage());
    }
}
