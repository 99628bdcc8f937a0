package org.prune4j.pruning.knockoff;

import java.util.Random;

/**
 * Second-order Gaussian model-X knockoffs (Candès, Fan, Janson & Lv 2018): for X ~ N(μ, Σ), the knockoff
 * X̃ = X − (X − μ)Σ⁻¹D + Z·C with Z ~ N(0, I) and CᵀC = 2D − DΣ⁻¹D has Cov[X̃] = Σ and Cov[X, X̃] = Σ − D, so
 * (X, X̃) is unchanged in distribution when any X_j is swapped with X̃_j, and X̃ carries no information about a
 * response beyond X. Row-vector form used here: x̃ [p] = x·A + b + z·C with A = I − Σ⁻¹D, b = μᵀΣ⁻¹D.
 *
 * <p>D comes from the equicorrelated construction, generalised to groups of {@code groupSize} consecutive features
 * (Dai & Barber 2016's group knockoffs: a head's head_dim block is one group): D = γ·blockdiag(Σ_gg) with
 * γ = min(1, 2·(1 − ε)·λ_min(B^{-1/2} Σ B^{-1/2})), B = blockdiag(Σ_gg). For groups of one this is the
 * s_j = min(1, 2λ_min(R))·σ_j² of Candès et al. (R the correlation matrix) with a safety factor 1 − ε, ε = 0.05:
 * at exactly γ = 2λ_min the joint covariance [[Σ, Σ − D], [Σ − D, Σ]] is singular (one direction of X − X̃ is a
 * function of X), so a regression on [X, X̃] (the OLS test statistic) has no unique solution and its knockoff
 * direction carries no noise; 5% keeps the joint covariance's smallest eigenvalue at about 0.1 λ_min for a few
 * percent of power, and keeps 2D − DΣ⁻¹D positive definite so C is its Cholesky factor (Cᵀ C = 2D − DΣ⁻¹D with
 * C = Lᵀ). λ_min is exact (Jacobi) up to {@link #JACOBI_MAX} live features; above, a Lanczos estimate minus its
 * residual bound (150 steps, full reorthogonalisation), and should that still be too high, the Cholesky factorisation
 * fails and γ is halved until it succeeds. Cost: O(p³) for Σ⁻¹ and the factorisation (D is block-diagonal, so
 * every product with it is O(p² g)).
 *
 * <p>Dead features (zero sample variance on the calibration data: dead neurons, never-used heads) are dropped from
 * the construction: their D entries are 0, so X̃_j = X_j exactly (a constant is its own knockoff), they are left out
 * of λ_min, and any antisymmetric statistic gives them W_j = 0, i.e. indistinguishable from noise.
 */
public final class GaussianKnockoffs {
    /** ε of the equicorrelated γ = min(1, 2(1 − ε)λ_min): see the class comment. */
    public static final double SAFETY = 0.05;
    private final int p, groupSize;
    private final double gamma;
    private final double[][] d, a, c;
    private final double[] b;
    private final boolean[] dead;

    private GaussianKnockoffs(int p, int groupSize, double gamma, double[][] d, double[][] a, double[] b, double[][] c, boolean[] dead) {
        this.p = p;
        this.groupSize = groupSize;
        this.gamma = gamma;
        this.d = d;
        this.a = a;
        this.b = b;
        this.c = c;
        this.dead = dead;
    }

    /**
     * Equicorrelated (group) knockoffs of N(mean, sigma); features whose {@code variance} (sample variance, for the
     * dead-unit test; may be null) is at most 1e-12 of the largest are dead. {@code sigma} must be positive definite
     * (a Ledoit–Wolf estimate is).
     */
    public static GaussianKnockoffs equicorrelated(double[] mean, double[][] sigma, double[] variance, int groupSize) {
        int p = mean.length;
        if (sigma.length != p) throw new IllegalArgumentException("mean has " + p + " entries but sigma is " + sigma.length + " x " + sigma.length);
        if (groupSize < 1 || p % groupSize != 0) throw new IllegalArgumentException("group size " + groupSize + " does not divide p = " + p);
        int groups = p / groupSize;
        boolean[] dead = new boolean[p];
        if (variance != null) {
            double max = 0;
            for (double v : variance) max = Math.max(max, v);
            for (int g = 0; g < groups; g++) {
                boolean all = true;
                for (int j = g * groupSize; j < (g + 1) * groupSize; j++) all &= !(variance[j] > 1e-12 * max);
                for (int j = g * groupSize; j < (g + 1) * groupSize; j++) dead[j] = all;
            }
        }
        // live indices and the block-Cholesky whitening L⁻¹ of B = blockdiag(Σ_gg) over them
        int live = 0;
        for (boolean x : dead) if (!x) live++;
        if (live == 0) throw new IllegalArgumentException("every feature is dead (zero variance): no knockoffs to build");
        int[] idx = new int[live];
        for (int j = 0, k = 0; j < p; j++) if (!dead[j]) idx[k++] = j;
        double[][] linv = new double[live][live];
        for (int g0 = 0; g0 < live; g0 += groupSize) {
            double[][] block = new double[groupSize][groupSize];
            for (int i = 0; i < groupSize; i++) for (int j = 0; j < groupSize; j++) block[i][j] = sigma[idx[g0 + i]][idx[g0 + j]];
            double[][] li = SymMatrix.lowerInverse(SymMatrix.cholesky(block));
            for (int i = 0; i < groupSize; i++) for (int j = 0; j < groupSize; j++) linv[g0 + i][g0 + j] = li[i][j];
        }
        double[][] sl = new double[live][live];
        for (int i = 0; i < live; i++) for (int j = 0; j < live; j++) sl[i][j] = sigma[idx[i]][idx[j]];
        // M = L⁻¹ Σ L⁻ᵀ (block products, O(p² g)): the same spectrum as B^{-1/2} Σ B^{-1/2}
        double[][] m = SymMatrix.symmetrize(SymMatrix.blockDiagTimes(linv, SymMatrix.timesBlockDiag(sl, GaussianKnockoffs.transpose(linv), groupSize), groupSize));
        double lambdaMin = live <= JACOBI_MAX ? SymMatrix.eigen(m).min() : SymMatrix.lambdaMinLowerBound(m, LANCZOS_STEPS, 0);
        if (!(lambdaMin > 0)) throw new IllegalArgumentException("covariance is not positive definite on its live features (λ_min = " + lambdaMin + "); shrink it first");
        double gamma = Math.min(1, 2 * (1 - SAFETY) * lambdaMin);
        double[][] sinv = SymMatrix.spdInverse(sigma);
        for (int attempt = 0; ; attempt++) {
            double[][] dm = new double[p][p];
            for (int g0 = 0; g0 < p; g0 += groupSize)
                if (!dead[g0])
                    for (int i = g0; i < g0 + groupSize; i++) for (int j = g0; j < g0 + groupSize; j++) dm[i][j] = gamma * sigma[i][j];
            double[][] sinvD = SymMatrix.timesBlockDiag(sinv, dm, groupSize);                // Σ⁻¹D [p, p]
            double[][] dsd = SymMatrix.blockDiagTimes(dm, sinvD, groupSize);                // DΣ⁻¹D
            double[][] k = new double[live][live];                                          // 2D − DΣ⁻¹D on the live features
            for (int i = 0; i < live; i++)
                for (int j = 0; j <= i; j++) {
                    double v = 2 * dm[idx[i]][idx[j]] - 0.5 * (dsd[idx[i]][idx[j]] + dsd[idx[j]][idx[i]]);
                    k[i][j] = v;
                    k[j][i] = v;
                }
            double[][] l;
            try {
                l = SymMatrix.cholesky(k);
            } catch (IllegalArgumentException notPd) {
                // only when a Lanczos bound overestimated λ_min (the 5% margin absorbs rounding): halve γ and retry
                if (attempt >= 20) throw new IllegalArgumentException("2D − DΣ⁻¹D stays indefinite after halving γ 20 times: " + notPd.getMessage());
                gamma /= 2;
                continue;
            }
            double[][] amat = SymMatrix.identity(p);
            for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) amat[i][j] -= sinvD[i][j];
            double[] bvec = new double[p];
            for (int i = 0; i < p; i++) {
                if (mean[i] == 0) continue;
                for (int j = 0; j < p; j++) bvec[j] += mean[i] * sinvD[i][j];
            }
            double[][] cm = new double[p][p];                                               // C = Lᵀ: CᵀC = L Lᵀ = 2D − DΣ⁻¹D
            for (int i = 0; i < live; i++) for (int j = 0; j <= i; j++) cm[idx[j]][idx[i]] = l[i][j];
            return new GaussianKnockoffs(p, groupSize, gamma, dm, amat, bvec, cm, dead);
        }
    }

    /** Up to this many live features λ_min comes from Jacobi (exact); above, from a Lanczos lower bound. */
    static int JACOBI_MAX = 400;
    /** Lanczos iterations for λ_min above {@link #JACOBI_MAX} features. */
    static final int LANCZOS_STEPS = 150;


    /** From a Ledoit–Wolf estimate (dead features found from its sample variances). */
    public static GaussianKnockoffs equicorrelated(Covariance.Estimate est, int groupSize) {
        return equicorrelated(est.mean(), est.sigma(), est.sampleVariance(), groupSize);
    }

    static double[][] transpose(double[][] m) {
        double[][] t = new double[m[0].length][m.length];
        for (int i = 0; i < m.length; i++) for (int j = 0; j < m[0].length; j++) t[j][i] = m[i][j];
        return t;
    }

    public int dim() { return p; }

    public int groupSize() { return groupSize; }

    /** The equicorrelated scale γ (s_j / σ_j² for groups of one). */
    public double gamma() { return gamma; }

    /** D [p, p] (block-diagonal; diagonal for groups of one). */
    public double[][] d() { return copy(d); }

    /** A = I − Σ⁻¹D [p, p]. */
    public double[][] a() { return copy(a); }

    /** b = μᵀΣ⁻¹D [p]. */
    public double[] b() { return b.clone(); }

    /** C [p, p] with CᵀC = 2D − DΣ⁻¹D. */
    public double[][] c() { return copy(c); }

    /** Whether feature j was dropped as dead (its knockoff is itself). */
    public boolean dead(int j) { return dead[j]; }

    /** Number of dead features. */
    public int deadCount() {
        int n = 0;
        for (boolean x : dead) if (x) n++;
        return n;
    }

    /** Knockoffs of the rows of x [n][p], with Z drawn from {@code rng}. */
    public double[][] sample(double[][] x, Random rng) {
        int n = x.length;
        double[][] z = new double[n][p];
        for (double[] r : z) for (int j = 0; j < p; j++) r[j] = rng.nextGaussian();
        double[][] xa = SymMatrix.mul(x, a), zc = SymMatrix.mul(z, c);
        double[][] out = new double[n][p];
        for (int i = 0; i < n; i++) for (int j = 0; j < p; j++) out[i][j] = xa[i][j] + b[j] + zc[i][j];
        return out;
    }

    private static double[][] copy(double[][] m) {
        double[][] c = new double[m.length][];
        for (int i = 0; i < m.length; i++) c[i] = m[i].clone();
        return c;
    }
}
