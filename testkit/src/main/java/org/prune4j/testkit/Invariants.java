package org.prune4j.testkit;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.prune4j.pruning.LinearPruner;
import org.prune4j.pruning.LinearWeight;
import org.prune4j.pruning.Sparsity;
import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;

/**
 * Invariants of unstructured and N:M pruning, as assertions: each throws an {@link InvariantViolation} that names
 * the invariant, the position (row, column) and the values, so inside a QuickTheories property the report shows
 * what broke, where, and the smallest {@link LinearCase} it shrank to. A pruner is any {@link LinearPruner}.
 */
public final class Invariants {
    private Invariants() {}

    /**
     * Runs {@code p} on a fresh copy of {@code c}'s weights with target {@code t}; returns the pruned weights.
     *
     * @param p the pruner under test
     * @param c the layer
     * @param t the target
     * @return the pruned weights
     */
    public static float[] prune(LinearPruner p, LinearCase c, Sparsity t) {
        LinearWeight w = c.weight(t);
        p.prune(c.stats(p.needs()), List.of(w));
        return w.w();
    }

    /**
     * In every row of w [rows, cols], each group of M consecutive columns holds at least N zeros.
     *
     * @param w the weights, row-major [rows, cols]
     * @param rows output rows
     * @param cols input columns
     * @param nm the pattern
     */
    public static void nmPattern(float[] w, int rows, int cols, org.prune4j.tensor.NM nm) {
        if (cols % nm.m() != 0) throw new InvariantViolation("nm-pattern", "M = " + nm.m() + " does not divide the width " + cols);
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < cols; g += nm.m()) {
                int z = 0;
                for (int c = g; c < g + nm.m(); c++) if (w[r * cols + c] == 0) z++;
                if (z < nm.n())
                    throw new InvariantViolation("nm-pattern", nm.label() + ": row " + r + ", columns " + g + ".." + (g + nm.m() - 1) + " hold " + z
                            + " zeros, at least " + nm.n() + " required");
            }
    }

    /**
     * {@code p} at {@code nm} leaves an N:M pattern.
     *
     * @param p the pruner under test
     * @param c the layer
     * @param nm the pattern
     */
    public static void nmPattern(LinearPruner p, LinearCase c, org.prune4j.tensor.NM nm) {
        nmPattern(prune(p, c, new Sparsity.Groups(nm)), c.rows(), c.cols(), nm);
    }

    /**
     * Sparsity is exact: per group (a row with {@code perRow}, else the whole matrix) of n weights, the zeros after
     * pruning are max(floor(n * s), zeros already there): the criterion ranks existing zeros lowest, so it picks
     * them first and no more than floor(n * s) in all.
      *
      * @param p the pruner under test
      * @param c the layer
      * @param s the target
      * @param perRow whether the pruner selects within each row
     */
    public static void sparsityExact(LinearPruner p, LinearCase c, Sparsity.Unstructured s, boolean perRow) {
        float[] before = c.weights(), after = prune(p, c, s);
        int groups = perRow ? c.rows() : 1, n = perRow ? c.cols() : c.rows() * c.cols();
        for (int g = 0; g < groups; g++) {
            long z0 = 0, z1 = 0;
            for (int i = g * n; i < (g + 1) * n; i++) {
                if (before[i] == 0) z0++;
                if (after[i] == 0) z1++;
            }
            long want = Math.max((long) Math.floor(n * s.ratio()), z0);
            if (z1 != want)
                throw new InvariantViolation("sparsity-exact", (perRow ? "row " + g : "the matrix") + " of " + n + " weights holds " + z1
                        + " zeros after pruning to " + s.label() + ", exactly " + want + " = max(floor(" + n + " x " + s.ratio() + "), " + z0 + " already zero) expected");
        }
    }

    /**
     * Pruning at sparsity 0 changes no weight, bit for bit.
     *
     * @param p the pruner under test
     * @param c the layer
     */
    public static void zeroIsIdentity(LinearPruner p, LinearCase c) {
        float[] before = c.weights(), after = prune(p, c, new Sparsity.Unstructured(0));
        int i = firstDifference(before, after);
        if (i >= 0) throw new InvariantViolation("zero-is-identity", "at sparsity 0, " + at(i, c.cols()) + " changed from " + before[i] + " to " + after[i]);
    }

    /**
     * The same inputs give the same weights, bit for bit.
     *
     * @param p the pruner under test
     * @param c the layer
     * @param t the target
     */
    public static void deterministic(LinearPruner p, LinearCase c, Sparsity t) {
        float[] a = prune(p, c, t), b = prune(p, c, t);
        int i = firstDifference(a, b);
        if (i >= 0) throw new InvariantViolation("deterministic", "two runs differ at " + at(i, c.cols()) + ": " + a[i] + " vs " + b[i]);
    }

    /**
     * A weight that is zero before pruning is zero after (use a case with {@code zeros > 0}).
     *
     * @param p the pruner under test
     * @param c the layer
     * @param t the target
     */
    public static void zerosStayZero(LinearPruner p, LinearCase c, Sparsity t) {
        float[] before = c.weights(), after = prune(p, c, t);
        for (int i = 0; i < before.length; i++)
            if (before[i] == 0 && after[i] != 0)
                throw new InvariantViolation("zeros-stay-zero", at(i, c.cols()) + " was zero and became " + after[i]);
    }

    /**
     * Every surviving weight is the original one (criteria without reconstruction: magnitude, Wanda; not SparseGPT).
     *
     * @param p the pruner under test
     * @param c the layer
     * @param t the target
     */
    public static void subNetwork(LinearPruner p, LinearCase c, Sparsity t) {
        float[] before = c.weights(), after = prune(p, c, t);
        for (int i = 0; i < before.length; i++)
            if (after[i] != 0 && after[i] != before[i])
                throw new InvariantViolation("sub-network", at(i, c.cols()) + " survived as " + after[i] + " but was " + before[i]);
    }

    /**
     * Permuting W's rows permutes the pruned rows the same way (every criterion here decides rows independently).
     *
     * @param p the pruner under test
     * @param c the layer
     * @param t the target
     * @param seed the permutation's seed
     */
    public static void rowPermutationInvariant(LinearPruner p, LinearCase c, Sparsity t, long seed) {
        int[] perm = permutation(new SplittableRandom(seed), c.rows());
        float[] w = c.weights(), pw = new float[w.length];
        for (int r = 0; r < c.rows(); r++) System.arraycopy(w, perm[r] * c.cols(), pw, r * c.cols(), c.cols());
        float[] direct = prune(p, c, t);
        LinearWeight lw = new LinearWeight("w", pw, c.rows(), c.cols(), t);
        p.prune(c.stats(p.needs()), List.of(lw));
        for (int r = 0; r < c.rows(); r++)
            for (int k = 0; k < c.cols(); k++)
                if (pw[r * c.cols() + k] != direct[perm[r] * c.cols() + k])
                    throw new InvariantViolation("row-permutation", "row " + perm[r] + " moved to row " + r + ": column " + k + " pruned to "
                            + pw[r * c.cols() + k] + " there, " + direct[perm[r] * c.cols() + k] + " in place");
    }

    /**
     * Permuting W's columns and the inputs' features together permutes the result (true for magnitude and Wanda
     * at unstructured targets; not for N:M, whose groups are positional, nor SparseGPT, which works left to right).
      *
      * @param p the pruner under test
      * @param c the layer
      * @param t the target
      * @param seed the permutation's seed
     */
    public static void columnPermutationInvariant(LinearPruner p, LinearCase c, Sparsity t, long seed) {
        int rows = c.rows(), cols = c.cols();
        int[] perm = permutation(new SplittableRandom(seed), cols);
        float[] w = c.weights(), pw = new float[w.length], x = c.inputs(), px = new float[x.length];
        for (int r = 0; r < rows; r++) for (int k = 0; k < cols; k++) pw[r * cols + k] = w[r * cols + perm[k]];
        for (int s = 0; s < c.tokens(); s++) for (int k = 0; k < cols; k++) px[s * cols + k] = x[s * cols + perm[k]];
        float[] direct = prune(p, c, t);
        InputStats stats = p.needs() == Statistic.NONE ? null : InputStats.of("case", px, c.tokens(), cols, p.needs(), ScalarKernels.INSTANCE);
        p.prune(stats, List.of(new LinearWeight("w", pw, rows, cols, t)));
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < cols; k++)
                if ((pw[r * cols + k] == 0) != (direct[r * cols + perm[k]] == 0))
                    throw new InvariantViolation("column-permutation", "row " + r + ": column " + perm[k] + " moved to " + k + " is "
                            + (pw[r * cols + k] == 0 ? "pruned" : "kept") + " there, " + (direct[r * cols + perm[k]] == 0 ? "pruned" : "kept") + " in place");
    }

    /**
     * A trained sparse model (e.g. a distilled student) keeps its mask: every weight zero in {@code sparse} is zero in {@code trained}.
     *
     * @param sparse the sparse model's tensors before training
     * @param trained the same tensors after training
     */
    public static void keepsMask(Map<String, Tensor> sparse, Map<String, Tensor> trained) {
        for (Map.Entry<String, Tensor> e : sparse.entrySet()) {
            Tensor t = trained.get(e.getKey());
            if (t == null) throw new InvariantViolation("keeps-mask", e.getKey() + " is missing after training");
            float[] a = e.getValue().toFloatArray(), b = t.toFloatArray();
            int cols = e.getValue().rank() == 2 ? e.getValue().size(1) : a.length;
            for (int i = 0; i < a.length; i++)
                if (a[i] == 0 && b[i] != 0)
                    throw new InvariantViolation("keeps-mask", e.getKey() + " " + at(i, cols) + " was pruned and is " + b[i] + " after training");
        }
    }

    static int firstDifference(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) return i;
        return -1;
    }

    static String at(int flat, int cols) {
        return "[" + flat / cols + ", " + flat % cols + "]";
    }

    static int[] permutation(SplittableRandom r, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
