package org.prune4j.pruning.sparsegpt;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import org.prune4j.tensor.Parallel;

/**
 * SparseGPT's one linear-algebra step, in double precision: the upper Cholesky factor U of H^-1
 * (H^-1 = U^T U), whose row i holds the OBS update coefficients once columns 0..i-1 are fixed.
 *
 * <p>The reference computes cholesky(H), cholesky_inverse, then cholesky(upper) again. We get the same U with
 * one factorisation and one triangular inverse: with P the reversal permutation, factor P H P = L L^T (lower);
 * then H = V V^T with V = P L P upper, so H^-1 = (V^-1)^T V^-1 and U = V^-1 = P L^-1 P (upper, positive diagonal,
 * hence THE upper Cholesky factor of H^-1). Both O(n^3) steps are row-parallel dot products over contiguous rows.
 */
public final class HessianInverse {
    private HessianInverse() {}

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int PANEL = 64;

    /** H was not positive definite: the pivot of {@code index} came out {@code pivot} (not > 0). */
    public static final class NotPositiveDefinite extends ArithmeticException {
        public final int index;
        public final double pivot;

        NotPositiveDefinite(int index, double pivot) {
            super("matrix is not positive definite: pivot " + index + " is " + pivot);
            this.index = index;
            this.pivot = pivot;
        }
    }

    /**
     * Overwrites the symmetric positive definite {@code h} [n, n] (row-major, symmetric: one triangle is read)
     * with U, the upper Cholesky factor of h^-1; the strict lower triangle becomes 0.
     */
    public static void upperCholeskyOfInverse(double[] h, int n, int threads) {
        if (h.length != (long) n * n) throw new IllegalArgumentException("matrix of " + h.length + " values is not " + n + " x " + n);
        reverse(h);                      // P H P
        choleskyLower(h, n, threads);    // lower triangle = L, P H P = L L^T
        double[] diag = new double[n];
        inverseTransposeUpper(h, n, diag, threads); // strict upper triangle = (L^-1)^T off-diagonal, diag = 1 / L_ii
        // U = P L^-1 P: U[i][j] = (L^-1)[n-1-i][n-1-j] = Mt[n-1-j][n-1-i] for i <= j, with Mt = (L^-1)^T upper.
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                int from = p * n + q, to = (n - 1 - q) * n + (n - 1 - p);
                if (from < to) {
                    double t = h[from];
                    h[from] = h[to];
                    h[to] = t;
                }
            }
        for (int i = 0; i < n; i++) {
            h[i * n + i] = diag[n - 1 - i];
            for (int j = 0; j < i; j++) h[i * n + j] = 0;
        }
    }

    /** Flat reversal: element (i, j) moves to (n-1-i, n-1-j), i.e. P A P. */
    static void reverse(double[] a) {
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            double t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /**
     * In-place lower Cholesky (Crout, row-oriented): L_ij = (A_ij - sum_k<j L_ik L_jk) / L_jj. Columns go in panels
     * of 64: the panel's diagonal block is done in order, then every row below it fills its panel entries in parallel.
     */
    static void choleskyLower(double[] a, int n, int threads) {
        for (int j0 = 0; j0 < n; j0 += PANEL) {
            int j1 = Math.min(j0 + PANEL, n);
            for (int i = j0; i < j1; i++) {
                int ri = i * n;
                for (int j = j0; j <= i; j++) {
                    double s = a[ri + j] - dot(a, ri, a, j * n, j);
                    if (i == j) {
                        if (!(s > 0) || Double.isInfinite(s)) throw new NotPositiveDefinite(i, s);
                        a[ri + i] = Math.sqrt(s);
                    } else {
                        a[ri + j] = s / a[j * n + j];
                    }
                }
            }
            final int p0 = j0, p1 = j1;
            Parallel.forRange(threads, n - j1, 16, (from, to) -> {
                for (int i = p1 + (int) from; i < p1 + to; i++) {
                    int ri = i * n;
                    for (int j = p0; j < p1; j++) a[ri + j] = (a[ri + j] - dot(a, ri, a, j * n, j)) / a[j * n + j];
                }
            });
        }
    }

    /**
     * With L in the lower triangle: writes Mt = (L^-1)^T (upper triangular) into the strict upper triangle and its
     * diagonal 1/L_jj into {@code diag}. Row j of Mt is column j of L^-1, found by forward substitution:
     * Mt[j][i] = -(sum_{k=j}^{i-1} L[i][k] Mt[j][k]) / L[i][i]. Rows are independent: dealt round-robin to threads.
     */
    static void inverseTransposeUpper(double[] a, int n, double[] diag, int threads) {
        for (int j = 0; j < n; j++) diag[j] = 1 / a[j * n + j];
        int t = Math.max(1, Math.min(threads, n));
        Parallel.forRange(t, t, 1, (from, to) -> {
            for (int start = (int) from; start < to; start++)
                for (int j = start; j < n; j += t) {
                    int rj = j * n;
                    for (int i = j + 1; i < n; i++) {
                        int ri = i * n;
                        double s = a[ri + j] * diag[j] + dot(a, ri + j + 1, a, rj + j + 1, i - j - 1);
                        a[rj + i] = -s / a[ri + i];
                    }
                }
        });
    }

    /** sum_k a[ao+k] * b[bo+k] for k < len, vectorised (lane order fixed, so results are reproducible on one machine). */
    static double dot(double[] a, int ao, double[] b, int bo, int len) {
        int i = 0;
        double s = 0;
        int bound = S.loopBound(len);
        if (bound > 0) {
            DoubleVector acc = DoubleVector.zero(S);
            for (; i < bound; i += S.length())
                acc = DoubleVector.fromArray(S, a, ao + i).fma(DoubleVector.fromArray(S, b, bo + i), acc);
            // lanes summed in a fixed order: reduceLanes(ADD) may reassociate differently in the interpreter and
            // in compiled code, which would make the factor depend on JIT timing (and thread count)
            for (int l = 0; l < S.length(); l++) s += acc.lane(l);
        }
        for (; i < len; i++) s += a[ao + i] * b[bo + i];
        return s;
    }
}
