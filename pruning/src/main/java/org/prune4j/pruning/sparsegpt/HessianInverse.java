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
            int quads = (n - j1) / 4; // rows below the panel, four at a time (each row of the panel is read once per four)
            Parallel.forRange(threads, quads + (n - j1) % 4, 4, (from, to) -> {
                double[] s4 = new double[4];
                for (long t = from; t < to; t++) {
                    if (t < quads) {
                        int i = p1 + 4 * (int) t, r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
                        for (int j = p0; j < p1; j++) {
                            int rj = j * n;
                            dot4(a, r0, r1, r2, r3, a, rj, j, s4);
                            double d = a[rj + j];
                            a[r0 + j] = (a[r0 + j] - s4[0]) / d;
                            a[r1 + j] = (a[r1 + j] - s4[1]) / d;
                            a[r2 + j] = (a[r2 + j] - s4[2]) / d;
                            a[r3 + j] = (a[r3 + j] - s4[3]) / d;
                        }
                    } else {
                        int ri = (p1 + 4 * quads + (int) (t - quads)) * n;
                        for (int j = p0; j < p1; j++) a[ri + j] = (a[ri + j] - dot(a, ri, a, j * n, j)) / a[j * n + j];
                    }
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
        int groups = (n + 3) / 4; // rows j of Mt in fixed groups of four, dealt round-robin: each L row is read once per group
        Parallel.forRange(t, t, 1, (from, to) -> {
            double[] s4 = new double[4];
            for (int start = (int) from; start < to; start++)
                for (int g = start; g < groups; g += t) {
                    int j0 = 4 * g, j1 = Math.min(n, j0 + 4);
                    // inside the group's own columns (i < j1): one row at a time
                    for (int j = j0; j < j1; j++) {
                        int rj = j * n;
                        for (int i = j + 1; i < j1; i++) {
                            int ri = i * n;
                            double s = a[ri + j] * diag[j] + dot(a, ri + j + 1, a, rj + j + 1, i - j - 1);
                            a[rj + i] = -s / a[ri + i];
                        }
                    }
                    if (j1 - j0 < 4) { // a last, short group
                        for (int j = j0; j < j1; j++) {
                            int rj = j * n;
                            for (int i = j1; i < n; i++) {
                                int ri = i * n;
                                double s = a[ri + j] * diag[j] + dot(a, ri + j + 1, a, rj + j + 1, j1 - j - 1) + dot(a, ri + j1, a, rj + j1, i - j1);
                                a[rj + i] = -s / a[ri + i];
                            }
                        }
                        continue;
                    }
                    int q0 = j0 * n, q1 = q0 + n, q2 = q1 + n, q3 = q2 + n;
                    for (int i = j1; i < n; i++) {
                        int ri = i * n;
                        dot4(a, q0 + j1, q1 + j1, q2 + j1, q3 + j1, a, ri + j1, i - j1, s4); // k in [j1, i)
                        for (int x = 0; x < 4; x++) {
                            int j = j0 + x, rj = j * n;
                            double s = a[ri + j] * diag[j] + dot(a, ri + j + 1, a, rj + j + 1, j1 - j - 1) + s4[x];
                            a[rj + i] = -s / a[ri + i];
                        }
                    }
                }
        });
    }

    /**
     * Four dot products of rows a[a0..], a[a1..], a[a2..], a[a3..] with b[bo..] over {@code len}, reading b once:
     * each sum is formed exactly as {@link #dot} forms it (same chunks, same lane order), into {@code out}.
     */
    static void dot4(double[] a, int a0, int a1, int a2, int a3, double[] b, int bo, int len, double[] out) {
        int i = 0;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int bound = S.loopBound(len);
        if (bound > 0) {
            DoubleVector c0 = DoubleVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
            for (; i < bound; i += S.length()) {
                DoubleVector bv = DoubleVector.fromArray(S, b, bo + i);
                c0 = DoubleVector.fromArray(S, a, a0 + i).fma(bv, c0);
                c1 = DoubleVector.fromArray(S, a, a1 + i).fma(bv, c1);
                c2 = DoubleVector.fromArray(S, a, a2 + i).fma(bv, c2);
                c3 = DoubleVector.fromArray(S, a, a3 + i).fma(bv, c3);
            }
            for (int l = 0; l < S.length(); l++) {
                s0 += c0.lane(l);
                s1 += c1.lane(l);
                s2 += c2.lane(l);
                s3 += c3.lane(l);
            }
        }
        for (; i < len; i++) {
            double bv = b[bo + i];
            s0 += a[a0 + i] * bv;
            s1 += a[a1 + i] * bv;
            s2 += a[a2 + i] * bv;
            s3 += a[a3 + i] * bv;
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
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
