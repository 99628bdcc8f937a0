package org.prune4j.pruning.sparsegpt;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.prune4j.pruning.Fixtures;
import org.prune4j.pruning.granularity.PerMatrix;
import org.prune4j.tensor.ScalarKernels;

/**
 * Which weights SparseGPT's adaptive mask picks, against a plain double-precision reimplementation of the authors'
 * per-block selection (sparsegpt.py, {@code prune_n == 0}): at the start of each block of columns score the current
 * weights by w^2 / [H^-1]_ii^2 (with U = chol(H^-1) upper, [H^-1]_ii^2 = U_ii^2), mask the lowest of the [rows, block]
 * tile, then visit the block's columns left to right, each pruned weight's error spread along U's row over every
 * later column at once (no lazy blocking). prune4j prunes exactly floor(n s) per tile (ties to the lower index);
 * the authors' {@code tmp <= sort(tmp)[int(n s)]} prunes floor(n s) + 1 plus ties, the choice the README states.
 */
class AdaptiveMaskTest {

    /** The masks the oracle chose; {@code authors} switches to the reference's threshold rule. */
    static boolean[] oracle(float[] w0, int rows, int cols, SparseGPT.Factor f, int block, double s, boolean authors, int[] zerosPerBlock) {
        int n = cols;
        double[] u = f.u();
        double[] w = new double[w0.length];
        for (int i = 0; i < w.length; i++) w[i] = w0[i];
        boolean[] pruned = new boolean[w0.length];
        for (int b1 = 0, blk = 0; b1 < cols; b1 += block, blk++) {
            int count = Math.min(block, cols - b1);
            double[] score = new double[rows * count];
            for (int r = 0; r < rows; r++)
                for (int i = 0; i < count; i++) {
                    double d = u[(b1 + i) * n + b1 + i];
                    score[r * count + i] = w[r * cols + b1 + i] * w[r * cols + b1 + i] / (d * d);
                }
            boolean[] m = authors ? thresholdRule(score, s) : lowestK(score, (int) (s * score.length));
            for (int r = 0; r < rows; r++)
                for (int i = 0; i < count; i++) {
                    int c = b1 + i;
                    if (!m[r * count + i]) continue;
                    double e = w[r * cols + c] / u[c * n + c];
                    for (int j = c; j < cols; j++) w[r * cols + j] -= e * u[c * n + j];
                    w[r * cols + c] = 0;
                    pruned[r * cols + c] = true;
                    zerosPerBlock[blk]++;
                }
        }
        return pruned;
    }

    /** The k lowest, ties to the lower flat index. */
    static boolean[] lowestK(double[] s, int k) {
        Integer[] idx = new Integer[s.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> s[a] != s[b] ? Double.compare(s[a], s[b]) : Integer.compare(a, b));
        boolean[] m = new boolean[s.length];
        for (int i = 0; i < k; i++) m[idx[i]] = true;
        return m;
    }

    /** The reference: thresh = sort(tmp)[int(numel * sparsity)]; mask = tmp <= thresh. */
    static boolean[] thresholdRule(double[] s, double sparsity) {
        double[] sorted = s.clone();
        Arrays.sort(sorted);
        double t = sorted[Math.min(sorted.length - 1, (int) (s.length * sparsity))];
        boolean[] m = new boolean[s.length];
        for (int i = 0; i < s.length; i++) m[i] = s[i] <= t;
        return m;
    }

    @Test
    void theAdaptiveMaskPicksTheWeightsOfTheDoublePrecisionPerBlockSelection() {
        double[] ratios = {0.3, 0.5, 0.7};
        qt().withExamples(60).forAll(integers().between(1, 8), integers().between(2, 48), integers().between(1, 17), integers().between(0, 10_000))
                .checkAssert((rows, cols, block, seed) -> {
                    double s = ratios[seed % 3];
                    int tokens = 3 * cols + 5;
                    float[] x = Fixtures.correlatedInputs(seed, tokens, cols);
                    float[] w = Fixtures.gaussian(seed + 1, rows, cols, 1);
                    SparseGPT.Factor f = SparseGPTTest.factor(x, tokens, cols, 1);
                    float[] got = w.clone();
                    SparseGPT.prune(got, rows, cols, f, new MaskRule.Adaptive(new PerMatrix(s)), block, ScalarKernels.INSTANCE, 1);
                    int blocks = (cols + block - 1) / block;
                    int[] ours = new int[blocks], theirs = new int[blocks];
                    boolean[] want = oracle(w, rows, cols, f, block, s, false, ours);
                    for (int b = 0; b < blocks; b++) {
                        int count = Math.min(block, cols - b * block);
                        assertEquals((int) (s * (rows * count)), ours[b], "floor(n s) per tile");
                        for (int r = 0; r < rows; r++)
                            for (int i = 0; i < count; i++) {
                                int c = b * block + i;
                                assertEquals(want[r * cols + c], got[r * cols + c] == 0f,
                                        "weight [" + r + ", " + c + "] (block " + b + " of " + block + " columns, sparsity " + s + ")");
                            }
                    }
                    // the reference's rule on the same weights: one more per tile (scores are distinct on continuous data)
                    oracle(w, rows, cols, f, block, s, true, theirs);
                    assertEquals(Math.min(rows * Math.min(block, cols), (int) (s * (rows * Math.min(block, cols))) + 1), theirs[0],
                            "the authors' threshold prunes floor(n s) + 1 of the first tile");
                });
    }
}
