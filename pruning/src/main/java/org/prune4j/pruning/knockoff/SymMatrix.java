package org.prune4j.pruning.knockoff;

/**
 * The dense double-precision linear algebra the knockoff construction needs, on symmetric p x p matrices stored as
 * {@code double[p][p]}: products, Cholesky, inverse, and symmetric eigen-decomposition by cyclic Jacobi rotations
 * (exact to rounding, O(p^3) per sweep; the knockoff models here have p <= a few hundred).
 */
public final class SymMatrix {
    private SymMatrix() {}

    /** a [p][q] @ b [q][r]. */
    public static double[][] mul(double[][] a, double[][] b) {
        int p = a.length, q = b.length, r = b[0].length;
        double[][] c = new double[p][r];
        for (int i = 0; i < p; i++) {
            double[] ci = c[i], ai = a[i];
            for (int k = 0; k < q; k++) {
                double aik = ai[k];
                if (aik == 0) continue;
                double[] bk = b[k];
                for (int j = 0; j < r; j++) ci[j] += aik * bk[j];
            }
        }
        return c;
    }

    public static double[][] identity(int p) {
        double[][] m = new double[p][p];
        for (int i = 0; i < p; i++) m[i][i] = 1;
        return m;
    }

    /** (m + mᵀ) / 2, to wipe out rounding asymmetry before an eigen-decomposition. */
    public static double[][] symmetrize(double[][] m) {
        int p = m.length;
        double[][] s = new double[p][p];
        for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) s[i][j] = 0.5 * (m[i][j] + m[j][i]);
        return s;
    }

    /**
     * Lower Cholesky factor L with a = L Lᵀ. A non-positive pivot means {@code a} is not positive definite:
     * an {@link IllegalArgumentException} naming the pivot.
     */
    public static double[][] cholesky(double[][] a) {
        int p = a.length;
        double[][] l = new double[p][p];
        for (int j = 0; j < p; j++) {
            double d = a[j][j];
            for (int k = 0; k < j; k++) d -= l[j][k] * l[j][k];
            if (!(d > 0)) throw new IllegalArgumentException("matrix is not positive definite (Cholesky pivot " + j + " = " + d + ")");
            double ljj = Math.sqrt(d);
            l[j][j] = ljj;
            for (int i = j + 1; i < p; i++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                l[i][j] = s / ljj;
            }
        }
        return l;
    }

    /** L⁻¹ for a lower-triangular L, row by row: X[i] = (e_i − Σ_{k<i} L[i][k] X[k]) / L[i][i] (row axpys, cache-friendly). */
    public static double[][] lowerInverse(double[][] l) {
        int p = l.length;
        double[][] inv = new double[p][p];
        for (int i = 0; i < p; i++) {
            double[] xi = inv[i], li = l[i];
            xi[i] = 1;
            for (int k = 0; k < i; k++) {
                double c = li[k];
                if (c == 0) continue;
                double[] xk = inv[k];
                for (int j = 0; j <= k; j++) xi[j] -= c * xk[j];
            }
            double d = 1 / li[i];
            for (int j = 0; j <= i; j++) xi[j] *= d;
        }
        return inv;
    }

    /** a⁻¹ of a symmetric positive definite a through its Cholesky factor: a⁻¹ = L⁻ᵀ L⁻¹ = Σ_k X[k]ᵀ X[k], X = L⁻¹. */
    public static double[][] spdInverse(double[][] a) {
        double[][] x = lowerInverse(cholesky(a));
        int p = a.length;
        double[][] inv = new double[p][p];
        for (int k = 0; k < p; k++) {
            double[] xk = x[k];
            for (int i = 0; i <= k; i++) {
                double c = xk[i];
                if (c == 0) continue;
                double[] ri = inv[i];
                for (int j = 0; j <= i; j++) ri[j] += c * xk[j];
            }
        }
        for (int i = 0; i < p; i++) for (int j = 0; j < i; j++) inv[j][i] = inv[i][j];
        return inv;
    }

    /** a [p][q] · d, d block-diagonal with g x g blocks on the diagonal (other entries ignored): O(p q g). */
    public static double[][] timesBlockDiag(double[][] a, double[][] d, int g) {
        int p = a.length, q = d.length;
        double[][] c = new double[p][q];
        for (int i = 0; i < p; i++) {
            double[] ai = a[i], ci = c[i];
            for (int b0 = 0; b0 < q; b0 += g)
                for (int k = b0; k < b0 + g; k++) {
                    double aik = ai[k];
                    if (aik == 0) continue;
                    double[] dk = d[k];
                    for (int j = b0; j < b0 + g; j++) ci[j] += aik * dk[j];
                }
        }
        return c;
    }

    /** d · a [q][r], d block-diagonal with g x g blocks: O(q r g). */
    public static double[][] blockDiagTimes(double[][] d, double[][] a, int g) {
        int q = d.length, r = a[0].length;
        double[][] c = new double[q][r];
        for (int b0 = 0; b0 < q; b0 += g)
            for (int i = b0; i < b0 + g; i++) {
                double[] ci = c[i];
                for (int k = b0; k < b0 + g; k++) {
                    double dik = d[i][k];
                    if (dik == 0) continue;
                    double[] ak = a[k];
                    for (int j = 0; j < r; j++) ci[j] += dik * ak[j];
                }
            }
        return c;
    }

    /**
     * A lower bound on λ_min of a symmetric matrix by Lanczos (seeded start, full reorthogonalisation, {@code steps}
     * iterations): the smallest Ritz value θ minus its residual ‖A y − θ y‖ = β_k |s_k|, since some eigenvalue lies
     * within the residual of θ. (Should Lanczos miss the bottom of the spectrum entirely, callers must detect it: the
     * knockoff construction does, by its Cholesky factorisation failing.) O(steps · p²).
     */
    public static double lambdaMinLowerBound(double[][] a, int steps, long seed) {
        int p = a.length, k = Math.min(steps, p);
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        double[][] q = new double[k + 1][];
        double[] alpha = new double[k], beta = new double[k];
        q[0] = new double[p];
        for (int i = 0; i < p; i++) q[0][i] = rng.nextDouble() - 0.5;
        scale(q[0], 1 / norm(q[0]));
        int m = k;
        for (int j = 0; j < k; j++) {
            double[] w = new double[p];
            for (int i = 0; i < p; i++) {
                double s = 0;
                double[] ai = a[i];
                for (int c = 0; c < p; c++) s += ai[c] * q[j][c];
                w[i] = s;
            }
            alpha[j] = dot(w, q[j]);
            for (int pass = 0; pass < 2; pass++) // full reorthogonalisation, twice (Kahan's "twice is enough")
                for (int i = 0; i <= j; i++) {
                    double c = dot(w, q[i]);
                    for (int t = 0; t < p; t++) w[t] -= c * q[i][t];
                }
            beta[j] = norm(w);
            if (j + 1 == k || beta[j] <= 1e-13 * Math.abs(alpha[j]) + Double.MIN_NORMAL) {
                m = j + 1;
                break;
            }
            q[j + 1] = w;
            scale(q[j + 1], 1 / beta[j]);
        }
        double[][] t = new double[m][m];
        for (int i = 0; i < m; i++) {
            t[i][i] = alpha[i];
            if (i + 1 < m) t[i][i + 1] = t[i + 1][i] = beta[i];
        }
        Eigen e = eigen(t);
        boolean exhausted = m < k || m == p; // an invariant subspace: the Ritz values are eigenvalues
        double residual = exhausted ? 0 : Math.abs(beta[m - 1] * e.vectors()[m - 1][0]);
        return e.min() - residual;
    }

    private static double dot(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += x[i] * y[i];
        return s;
    }

    private static double norm(double[] x) { return Math.sqrt(dot(x, x)); }

    private static void scale(double[] x, double c) { for (int i = 0; i < x.length; i++) x[i] *= c; }

    /** Eigenvalues (ascending) and eigenvectors (column j of {@code vectors} belongs to {@code values[j]}). */
    public record Eigen(double[] values, double[][] vectors) {
        public double min() { return values[0]; }
    }

    /**
     * Cyclic Jacobi eigen-decomposition of a symmetric matrix: rotations zero each off-diagonal entry in turn until the
     * off-diagonal mass is below 1e-15 of the total (rounding level); converges quadratically, ~6-10 sweeps.
     */
    public static Eigen eigen(double[][] sym) {
        int p = sym.length;
        double[][] a = new double[p][];
        for (int i = 0; i < p; i++) a[i] = sym[i].clone();
        double[][] v = identity(p);
        double total = 0;
        for (double[] r : a) for (double x : r) total += x * x;
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int i = 0; i < p; i++) for (int j = i + 1; j < p; j++) off += 2 * a[i][j] * a[i][j];
            if (off <= 1e-30 * Math.max(total, Double.MIN_NORMAL)) break;
            for (int i = 0; i < p - 1; i++)
                for (int j = i + 1; j < p; j++) {
                    double aij = a[i][j];
                    if (aij == 0) continue;
                    // the rotation angle that zeroes a[i][j] (Golub & Van Loan, Algorithm 8.5.1)
                    double tau = (a[j][j] - a[i][i]) / (2 * aij);
                    double t = Math.signum(tau) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
                    if (tau == 0) t = 1;
                    double c = 1 / Math.sqrt(1 + t * t), s = t * c;
                    for (int k = 0; k < p; k++) { // columns i and j
                        double aki = a[k][i], akj = a[k][j];
                        a[k][i] = c * aki - s * akj;
                        a[k][j] = s * aki + c * akj;
                    }
                    for (int k = 0; k < p; k++) { // rows i and j
                        double aik = a[i][k], ajk = a[j][k];
                        a[i][k] = c * aik - s * ajk;
                        a[j][k] = s * aik + c * ajk;
                    }
                    for (int k = 0; k < p; k++) {
                        double vki = v[k][i], vkj = v[k][j];
                        v[k][i] = c * vki - s * vkj;
                        v[k][j] = s * vki + c * vkj;
                    }
                }
        }
        Integer[] order = new Integer[p];
        for (int i = 0; i < p; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Double.compare(a[x][x], a[y][y]));
        double[] values = new double[p];
        double[][] vectors = new double[p][p];
        for (int c = 0; c < p; c++) {
            values[c] = a[order[c]][order[c]];
            for (int k = 0; k < p; k++) vectors[k][c] = v[k][order[c]];
        }
        return new Eigen(values, vectors);
    }
}
