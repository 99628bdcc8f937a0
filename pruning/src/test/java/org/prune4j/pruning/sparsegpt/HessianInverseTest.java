package org.prune4j.pruning.sparsegpt;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;
import org.prune4j.pruning.Fixtures;

class HessianInverseTest {

    /** A symmetric positive definite [n, n]: X^T X of correlated inputs plus a little ridge. */
    static double[] spd(long seed, int n) {
        int tokens = 2 * n + 8;
        float[] x = Fixtures.correlatedInputs(seed, tokens, n);
        double[] h = new double[n * n];
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) h[i * n + j] += (double) x[t * n + i] * x[t * n + j];
        double mean = 0;
        for (int i = 0; i < n; i++) mean += h[i * n + i] / n;
        for (int i = 0; i < n; i++) h[i * n + i] += 0.01 * mean;
        return h;
    }

    /** Textbook Gauss-Jordan inverse with partial pivoting: the independent oracle. */
    static double[] inverse(double[] a, int n) {
        double[] m = a.clone(), inv = new double[n * n];
        for (int i = 0; i < n; i++) inv[i * n + i] = 1;
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
            for (int k = 0; k < n; k++) {
                double t = m[c * n + k]; m[c * n + k] = m[p * n + k]; m[p * n + k] = t;
                t = inv[c * n + k]; inv[c * n + k] = inv[p * n + k]; inv[p * n + k] = t;
            }
            double d = m[c * n + c];
            for (int k = 0; k < n; k++) { m[c * n + k] /= d; inv[c * n + k] /= d; }
            for (int r = 0; r < n; r++) {
                if (r == c) continue;
                double f = m[r * n + c];
                if (f == 0) continue;
                for (int k = 0; k < n; k++) { m[r * n + k] -= f * m[c * n + k]; inv[r * n + k] -= f * inv[c * n + k]; }
            }
        }
        return inv;
    }

    @Test
    void upperFactorSquaresToTheInverse() {
        qt().withExamples(40).forAll(integers().between(1, 90), integers().between(0, 10_000), integers().between(1, 3))
                .checkAssert((n, seed, threads) -> {
                    double[] h = spd(seed, n);
                    double[] hinv = inverse(h, n);
                    double[] u = h.clone();
                    HessianInverse.upperCholeskyOfInverse(u, n, threads);
                    double scale = 0;
                    for (double v : hinv) scale = Math.max(scale, Math.abs(v));
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < n; j++) {
                            if (j < i) assertEquals(0.0, u[i * n + j]);
                            if (i == j) assertTrue(u[i * n + i] > 0);
                            double utu = 0; // (U^T U)_ij
                            for (int k = 0; k < n; k++) utu += u[k * n + i] * u[k * n + j];
                            // double precision; the inputs are well conditioned after the 1% ridge, so 1e-9 relative is ample
                            assertEquals(hinv[i * n + j], utu, 1e-9 * scale, "(" + i + "," + j + ") n=" + n);
                        }
                });
    }

    @Test
    void threadsDoNotChangeTheBits() {
        double[] h = spd(7, 150);
        double[] a = h.clone(), b = h.clone();
        HessianInverse.upperCholeskyOfInverse(a, 150, 1);
        HessianInverse.upperCholeskyOfInverse(b, 150, 3);
        assertArrayEquals(a, b);
    }

    @Test
    void indefiniteMatrixIsReported() {
        double[] h = {1, 2, 2, 1}; // eigenvalues 3 and -1
        assertThrows(HessianInverse.NotPositiveDefinite.class, () -> HessianInverse.upperCholeskyOfInverse(h, 2, 1));
    }
}
