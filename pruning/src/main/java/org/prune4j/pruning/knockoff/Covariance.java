package org.prune4j.pruning.knockoff;

/**
 * Mean and Ledoit–Wolf shrinkage covariance of n samples of a p-vector, accumulated one row at a time (never storing
 * the samples), in double. Ledoit & Wolf (2004): Σ = δ·m·I + (1 − δ)·S, with S the sample covariance (1/n), m =
 * tr(S)/p and δ = min(1, b²/d²), d² = ‖S − mI‖²_F / p, b² = min(d², (1/n²) Σ_k ‖x_k x_kᵀ − S‖²_F / p). Shrinkage
 * keeps Σ positive definite when n < p or features are collinear, which the knockoff construction needs (Σ⁻¹).
 * The b² sum is expanded as Σ_k ‖x_k‖⁴ − n‖S‖²_F (x_k centred), so one pass of x, x xᵀ and ‖x‖⁴ suffices.
 */
public final class Covariance {
    private final int p;
    private long n;
    private final double[] sum;
    private final double[][] cross; // Σ_k x_k x_kᵀ (raw, uncentred)
    private final double[] shift;   // the first row, subtracted from every row for numerical stability
    private double fourth, squares; // Σ_k ‖d_k‖⁴ and Σ_k ‖d_k‖² of the shifted rows d_k = x_k − shift
    private final double[] cubic;   // Σ_k ‖d_k‖² d_k
    private boolean shifted;

    public Covariance(int p) {
        if (p < 1) throw new IllegalArgumentException("a covariance needs p >= 1 features, got " + p);
        this.p = p;
        sum = new double[p];
        cross = new double[p][p];
        shift = new double[p];
        cubic = new double[p];
    }

    public int dim() { return p; }

    public long count() { return n; }

    /** Adds one sample x [p] (x[off .. off+p)). */
    public void add(float[] x, int off) {
        double[] d = new double[p];
        if (!shifted) {
            for (int j = 0; j < p; j++) shift[j] = x[off + j];
            shifted = true;
        }
        double sq = 0;
        for (int j = 0; j < p; j++) {
            d[j] = x[off + j] - shift[j];
            sq += d[j] * d[j];
        }
        fourth += sq * sq;
        squares += sq;
        for (int i = 0; i < p; i++) {
            sum[i] += d[i];
            cubic[i] += sq * d[i];
            double di = d[i];
            if (di == 0) continue;
            double[] ci = cross[i];
            for (int j = 0; j <= i; j++) ci[j] += di * d[j];
        }
        n++;
    }

    /** Adds each row of x [rows, p] (row-major). */
    public void addRows(float[] x, int rows) {
        for (int r = 0; r < rows; r++) add(x, r * p);
    }

    /** dᵀd [p, p] (row-major) of a block of rows d [rows, p]: the O(rows · p²) part, for a GEMM to do. */
    @FunctionalInterface
    public interface Gram {
        float[] of(float[] d, int rows, int p);
    }

    /**
     * Like {@link #addRows(float[], int)}, with the cross products of the block (shifted by the first row seen) from
     * {@code gram} — a float GEMM, one block at a time, added into the double sums (float error of one block, ~1e-7
     * relative per block sum, not compounded across blocks). Everything else stays in double.
     */
    public void addRows(float[] x, int rows, Gram gram) {
        if (rows == 0) return;
        if (!shifted) {
            for (int j = 0; j < p; j++) shift[j] = x[j];
            shifted = true;
        }
        float[] d = new float[rows * p];
        for (int r = 0; r < rows; r++) {
            double sq = 0;
            for (int j = 0; j < p; j++) {
                double v = (double) x[r * p + j] - shift[j];
                d[r * p + j] = (float) v;
                sq += v * v;
            }
            fourth += sq * sq;
            squares += sq;
            for (int j = 0; j < p; j++) {
                double v = (double) x[r * p + j] - shift[j];
                sum[j] += v;
                cubic[j] += sq * v;
            }
        }
        float[] g = gram.of(d, rows, p);
        for (int i = 0; i < p; i++) for (int j = 0; j <= i; j++) cross[i][j] += g[i * p + j];
        n += rows;
    }

    /** The estimate: mean μ, shrunk covariance Σ, the raw sample covariance's diagonal and the shrinkage δ. */
    public record Estimate(double[] mean, double[][] sigma, double[] sampleVariance, double shrinkage, long samples) {}

    public Estimate estimate() {
        if (n < 2) throw new IllegalStateException("a covariance needs at least 2 samples, got " + n);
        double[] mu = new double[p];
        for (int j = 0; j < p; j++) mu[j] = sum[j] / n;
        double[][] s = new double[p][p];
        for (int i = 0; i < p; i++)
            for (int j = 0; j <= i; j++) {
                double v = cross[i][j] / n - mu[i] * mu[j];
                s[i][j] = v;
                s[j][i] = v;
            }
        double m = 0;
        for (int j = 0; j < p; j++) m += s[j][j];
        m /= p;
        double fro = 0, d2 = 0;
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++) {
                fro += s[i][j] * s[i][j];
                double e = s[i][j] - (i == j ? m : 0);
                d2 += e * e;
            }
        d2 /= p;
        // Σ_k ‖c_k‖⁴ of the centred rows c_k = d_k − μ (μ the shifted mean), exactly from the shifted moments:
        // ‖c‖² = a − 2b + c0 with a = ‖d‖², b = d·μ, c0 = ‖μ‖²; Σb = n c0, Σb² = μᵀ(Σ d dᵀ)μ, Σab = (Σ ‖d‖² d)·μ
        double c0 = 0, sumAB = 0, sumB2 = 0;
        for (int i = 0; i < p; i++) {
            c0 += mu[i] * mu[i];
            sumAB += cubic[i] * mu[i];
            double row = 0;
            for (int j = 0; j < p; j++) row += (j <= i ? cross[i][j] : cross[j][i]) * mu[j];
            sumB2 += mu[i] * row;
        }
        double centredFourth = fourth + 4 * sumB2 + n * c0 * c0 - 4 * sumAB + 2 * c0 * squares - 4 * c0 * n * c0;
        // (1/n²) Σ_k ‖c_k c_kᵀ − S‖²_F = (1/n²) (Σ_k ‖c_k‖⁴ − n ‖S‖²_F)
        double bbar2 = Math.max(0, (centredFourth / n - fro) / n) / p;
        double b2 = Math.min(bbar2, d2);
        double delta = d2 <= 0 ? 1 : b2 / d2;
        double[][] sigma = new double[p][p];
        double[] var = new double[p];
        for (int i = 0; i < p; i++) {
            var[i] = s[i][i];
            for (int j = 0; j < p; j++) sigma[i][j] = (1 - delta) * s[i][j] + (i == j ? delta * m : 0);
        }
        double[] mean = new double[p];
        for (int j = 0; j < p; j++) mean[j] = mu[j] + shift[j];
        return new Estimate(mean, sigma, var, delta, n);
    }
}
