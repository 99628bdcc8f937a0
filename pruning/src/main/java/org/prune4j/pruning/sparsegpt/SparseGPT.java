package org.prune4j.pruning.sparsegpt;

import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.granularity.Mask;
import org.prune4j.pruning.granularity.NMSelect;
import org.prune4j.tensor.NM;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Parallel;
import org.prune4j.tensor.Tensor;

/**
 * SparseGPT (Frantar & Alistarh 2023): prune a linear layer and reconstruct it so that W X changes least on the
 * calibration inputs. H = 2/n X^T X; columns are visited left to right in blocks of 128; each pruned weight's
 * error (w - 0) / [H^-1]_ii is spread over the not-yet-visited weights of its row along row i of U = chol(H^-1)^T
 * (the Optimal Brain Surgeon update), lazily for the columns beyond the block (one GEMM per block).
 *
 * <p>It is a solver, not a score: it changes the weights it keeps. {@link #factor} is done once per input (q, k, v
 * share one), {@link #prune} once per weight.
 */
public final class SparseGPT {
    private SparseGPT() {}

    /** Column block size of the reference implementation. */
    public static final int DEFAULT_BLOCK = 128;
    /** Dampening: 1% of the mean diagonal of H is added to its diagonal. */
    public static final double DEFAULT_DAMP = 0.01;

    /**
     * The factorised Hessian of one input: U (upper Cholesky factor of the dampened H^-1) [n, n] row-major, and
     * the dead inputs (features that were zero on every calibration token).
     */
    public record Factor(int n, double[] u, boolean[] dead) {
        /** [H^-1]_ii's square root as SparseGPT uses it: U's diagonal entry for column i. */
        public double d(int i) { return u[i * n + i]; }

        public int deadCount() {
            int c = 0;
            for (boolean b : dead) if (b) c++;
            return c;
        }
    }

    /**
     * Builds the factor from a Gram matrix sum of x x^T over {@code tokens} calibration tokens. Consumes {@code gram}
     * (it is overwritten in place). Dead inputs (H_ii = 0) get H_ii = 1; then percDamp * mean(diag H) is added to
     * the diagonal; then U = chol(H^-1) upper, in double precision.
     */
    public static Factor factor(double[] gram, long tokens, int n, double percDamp, int threads, String where) {
        if (tokens <= 0) throw new PruningException(where + ": SparseGPT needs calibration tokens, got none");
        if (!(percDamp >= 0)) throw new PruningException(where + ": dampening must be >= 0, got " + percDamp);
        double scale = 2.0 / tokens; // H = 2/n X^T X
        for (int i = 0; i < gram.length; i++) gram[i] *= scale;
        boolean[] dead = new boolean[n];
        double meanDiag = 0;
        for (int i = 0; i < n; i++) {
            if (gram[i * n + i] == 0) {
                dead[i] = true;
                gram[i * n + i] = 1;
            }
            meanDiag += gram[i * n + i];
        }
        meanDiag /= n;
        double damp = percDamp * meanDiag;
        for (int i = 0; i < n; i++) gram[i * n + i] += damp;
        try {
            HessianInverse.upperCholeskyOfInverse(gram, n, threads);
        } catch (HessianInverse.NotPositiveDefinite e) {
            throw new PruningException(where + ": the dampened Hessian (2/n X^T X + " + percDamp + " * mean diag) is not positive definite at input "
                    + e.index + " (pivot " + e.pivot + "); use more calibration tokens or a larger dampening", e);
        }
        return new Factor(n, gram, dead);
    }

    /** What pruning one weight did: weights zeroed and the OBS error estimate sum (w - q)^2 / [H^-1]_ii / 2. */
    public record Result(long zeros, double loss) {}

    /**
     * Prunes {@code w} [rows, cols] (row-major, modified in place) under {@code rule}, reconstructing the weights it
     * keeps. Columns of dead inputs are zeroed first, as in the reference. {@code kernels} computes the lazy
     * block updates (a GEMM); {@code threads} splits the per-row work.
     */
    public static Result prune(float[] w, int rows, int cols, Factor f, MaskRule rule, int blockSize, Kernels kernels, int threads) {
        if (f.n() != cols) throw new IllegalArgumentException("factor for " + f.n() + " inputs, weight has " + cols + " columns");
        if (w.length != (long) rows * cols) throw new IllegalArgumentException("weight of " + w.length + " values is not [" + rows + ", " + cols + "]");
        int block = blockSize;
        if (rule instanceof MaskRule.Groups(NM nm, boolean denseTail)) {
            if (!denseTail) nm.requireDivides(cols, "weight [" + rows + ", " + cols + "]");
            block = Math.max(nm.m(), blockSize - blockSize % nm.m()); // groups never straddle a block
        }
        final int fullCols = rule instanceof MaskRule.Groups(NM nm, boolean dt) ? cols - nm.tail(cols) : cols; // N:M groups end here
        if (rule instanceof MaskRule.Fixed(Mask fixed) && (fixed.rows() != rows || fixed.cols() != cols))
            throw new IllegalArgumentException("fixed mask [" + fixed.rows() + ", " + fixed.cols() + "] for a [" + rows + ", " + cols + "] weight");
        boolean[] dead = f.dead();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) if (dead[c]) w[r * cols + c] = 0f;
        Mask zero = Mask.zerosOf(w, rows, cols); // already pruned: stays pruned
        double[] u = f.u();
        int n = cols;
        double[] rowLoss = new double[rows];

        for (int i1 = 0; i1 < cols; i1 += block) {
            final int b1 = i1, b2 = Math.min(i1 + block, cols), count = b2 - b1;
            double[] d = new double[count];
            for (int i = 0; i < count; i++) d[i] = u[(b1 + i) * n + b1 + i];

            Mask blockMask = switch (rule) {
                case MaskRule.Adaptive(var g) -> {
                    float[] s = new float[rows * count]; // OBS error of pruning each weight of the block now
                    for (int r = 0; r < rows; r++)
                        for (int i = 0; i < count; i++) {
                            float wi = w[r * cols + b1 + i];
                            s[r * count + i] = zero.get(r, b1 + i) ? -1f : (float) ((double) wi * wi / (d[i] * d[i]));
                        }
                    yield g.select(s, rows, count);
                }
                case MaskRule.Fixed(Mask fixed) -> {
                    Mask m = new Mask(rows, count);
                    for (int r = 0; r < rows; r++)
                        for (int i = 0; i < count; i++) if (fixed.get(r, b1 + i)) m.set(r, i);
                    yield m;
                }
                case MaskRule.Groups g -> null; // chosen per row, lazily, below
            };

            float[] err = new float[rows * count]; // [rows, count]: (w - q) / d per visited column
            Parallel.forRange(threads, rows, 8, (from, to) -> {
                double[] w1 = new double[count];
                boolean[] pruned = new boolean[count];
                NM groups = rule instanceof MaskRule.Groups(NM nm, boolean dt) ? nm : null;
                float[] gs = groups != null ? new float[groups.m()] : null;
                Mask gm1 = groups != null ? new Mask(1, groups.m()) : null;
                for (int r = (int) from; r < to; r++) {
                    int ro = r * cols + b1;
                    for (int i = 0; i < count; i++) {
                        w1[i] = w[ro + i];
                        pruned[i] = blockMask != null && blockMask.get(r, i) || zero.get(r, b1 + i);
                    }
                    double loss = 0;
                    for (int i = 0; i < count; i++) {
                        if (groups != null && i % groups.m() == 0 && b1 + i + groups.m() <= fullCols) {
                            int gm = groups.m();
                            for (int t = 0; t < gm; t++)
                                gs[t] = zero.get(r, b1 + i + t) ? -1f : (float) (w1[i + t] * w1[i + t] / (d[i + t] * d[i + t]));
                            gm1.clear();
                            NMSelect.markGroup(groups, gs, 0, gm1, 0);
                            for (int t = 0; t < gm; t++) pruned[i + t] |= gm1.get(t);
                        }
                        double wi = w1[i], q = pruned[i] ? 0 : wi;
                        double e = (wi - q) / d[i];
                        loss += e * e;
                        if (e != 0) {
                            int ui = (b1 + i) * n + b1;
                            for (int j = i + 1; j < count; j++) w1[j] -= e * u[ui + j];
                        }
                        err[r * count + i] = (float) e;
                        w[ro + i] = (float) q;
                    }
                    rowLoss[r] += loss / 2;
                }
            });
            if (b2 < cols) lazyUpdate(w, rows, cols, err, count, u, b1, b2, kernels);
        }
        long zeros = 0;
        for (float v : w) {
            if (v == 0f) zeros++;
            else if (!Float.isFinite(v)) throw new PruningException("SparseGPT produced a non-finite weight; the Hessian is ill-conditioned");
        }
        double loss = 0;
        for (double l : rowLoss) loss += l;
        return new Result(zeros, loss);
    }

    /** W[:, b2:] -= Err [rows, count] @ U[b1:b2, b2:]: the block's errors reach every later column (one GEMM, in row chunks). */
    private static void lazyUpdate(float[] w, int rows, int cols, float[] err, int count, double[] u, int b1, int b2, Kernels kernels) {
        int n = cols, rest = cols - b2;
        float[] panel = new float[count * rest]; // U[b1:b2, b2:] as F32
        for (int k = 0; k < count; k++)
            for (int j = 0; j < rest; j++) panel[k * rest + j] = (float) u[(b1 + k) * n + b2 + j];
        Tensor p = Tensor.of(panel, count, rest);
        int chunk = Math.max(1, Math.min(rows, (1 << 24) / Math.max(1, rest)));
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int rc = Math.min(chunk, rows - r0);
            Tensor e = Tensor.of(err, rows, count).narrow(0, r0, rc);
            Tensor upd = kernels.matmul(e, p); // [rc, rest]
            float[] ua = upd.array();
            int uo = (int) upd.offset();
            for (int r = 0; r < rc; r++) {
                int wo = (r0 + r) * cols + b2, so = uo + r * rest;
                for (int j = 0; j < rest; j++) w[wo + j] -= ua[so + j];
            }
        }
    }
}
