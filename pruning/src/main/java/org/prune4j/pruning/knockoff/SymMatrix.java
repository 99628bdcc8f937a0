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

    /** L⁻¹ for a lower-triangular L (forward substitution, column by column). */
    public static double[][] lowerInverse(double[][] l) {
        int p = l.length;
        double[][] inv = new double[p][p];
        for (int c = 0; c < p; c++) {
            inv[c][c] = 1 / l[c][c];
            for (int i = c + 1; i < p; i++) {
                double s = 0;
                for (int k = c; k < i; k++) s -= l[i][k] * inv[k][c];
                inv[i][c] = s / l[i][i];
            }
        }
        return inv;
    }

    /** a⁻¹ of a symmetric positive definite a, through its Cholesky factor: a⁻¹ = L⁻ᵀ L⁻¹. */
    public static double[][] spdInverse(double[][] a) {
        double[][] li = lowerInverse(cholesky(a));
        int p = a.length;
        double[][] inv = new double[p][p];
        for (int i = 0; i < p; i++)
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int k = i; k < p; k++) s += li[k][i] * li[k][j];
                inv[i][j] = s;
                inv[j][i] = s;
            }
        return inv;
    }

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
