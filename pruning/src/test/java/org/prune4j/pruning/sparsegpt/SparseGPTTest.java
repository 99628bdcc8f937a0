package org.prune4j.pruning.sparsegpt;

import org.prune4j.tensor.NM;
import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;
import org.prune4j.pruning.Fixtures;
import org.prune4j.pruning.LinearWeight;
import org.prune4j.pruning.Methods;
import org.prune4j.pruning.Sparsity;
import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;
import org.prune4j.pruning.granularity.Mask;
import org.prune4j.pruning.granularity.PerMatrix;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.VectorKernels;

class SparseGPTTest {
    static final Kernels K = new VectorKernels(2);

    static SparseGPT.Factor factor(float[] x, int tokens, int cols, int threads) {
        InputStats s = InputStats.of("test", x, tokens, cols, Statistic.GRAM, K);
        return SparseGPT.factor(s.takeGram(), s.tokens(), cols, SparseGPT.DEFAULT_DAMP, threads, "test");
    }

    /** The dampened Hessian as the reference builds it, in double, straight from the inputs. */
    static double[] hessian(float[] x, int tokens, int n) {
        double[] h = new double[n * n];
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) h[i * n + j] += 2.0 / tokens * x[t * n + i] * x[t * n + j];
        double mean = 0;
        for (int i = 0; i < n; i++) {
            if (h[i * n + i] == 0) h[i * n + i] = 1;
            mean += h[i * n + i] / n;
        }
        for (int i = 0; i < n; i++) h[i * n + i] += 0.01 * mean;
        return h;
    }

    /**
     * Oracle written from the paper's definition, not from the solver: visit columns left to right; columns already
     * visited are frozen; pruning column i applies the OBS update with the inverse of H restricted to the columns
     * not yet frozen, F = {i, ..., n-1}: w_F -= w_i / [H_F^-1]_00 * [H_F^-1]_0,: (explicit inverse, no Cholesky).
     */
    static double[] frozenObs(float[] wRow, double[] h, int n, boolean[] pruned) {
        double[] w = new double[n];
        for (int i = 0; i < n; i++) w[i] = wRow[i];
        for (int i = 0; i < n; i++) {
            if (!pruned[i]) continue;
            int f = n - i;
            double[] hf = new double[f * f];
            for (int a = 0; a < f; a++)
                for (int b = 0; b < f; b++) hf[a * f + b] = h[(i + a) * n + i + b];
            double[] inv = HessianInverseTest.inverse(hf, f);
            double wi = w[i];
            for (int j = 0; j < f; j++) w[i + j] -= wi / inv[0] * inv[j];
            w[i] = 0;
        }
        return w;
    }

    @Test
    void fixedMaskReconstructionMatchesTheObsDefinition() {
        qt().withExamples(25).forAll(integers().between(1, 6), integers().between(2, 40), integers().between(1, 17), integers().between(0, 10_000))
                .checkAssert((rows, cols, block, seed) -> {
                    int tokens = 3 * cols + 5;
                    float[] x = Fixtures.correlatedInputs(seed, tokens, cols);
                    float[] w = Fixtures.gaussian(seed + 1, rows, cols, 1);
                    Mask mask = new PerMatrix(0.5).select(Fixtures.gaussian(seed + 2, rows, cols, 1), rows, cols);
                    double[] h = hessian(x, tokens, cols);
                    float[] got = w.clone();
                    SparseGPT.prune(got, rows, cols, factor(x, tokens, cols, 2), new MaskRule.Fixed(mask), block, K, 2);
                    for (int r = 0; r < rows; r++) {
                        boolean[] p = new boolean[cols];
                        float[] row = new float[cols];
                        for (int c = 0; c < cols; c++) {
                            p[c] = mask.get(r, c);
                            row[c] = w[r * cols + c];
                        }
                        double[] want = frozenObs(row, h, cols, p);
                        double scale = 0;
                        for (double v : want) scale = Math.max(scale, Math.abs(v));
                        for (int c = 0; c < cols; c++) {
                            if (p[c]) assertEquals(0f, got[r * cols + c]);
                            // weights live in F32 and each column update adds F32 rounding; with the 1% dampening the
                            // OBS coefficients stay O(1), so 1e-4 of the row's largest weight bounds the drift
                            assertEquals(want[c], got[r * cols + c], 1e-4 * scale, "row " + r + " col " + c + " block " + block);
                        }
                    }
                });
    }

    @Test
    void pruningOnlyColumnZeroIsTheObsUpdate() {
        int cols = 12, tokens = 60;
        float[] x = Fixtures.correlatedInputs(3, tokens, cols);
        float[] w = Fixtures.gaussian(4, 1, cols, 1);
        Mask m = new Mask(1, cols);
        m.set(0, 0);
        double[] hinv = HessianInverseTest.inverse(hessian(x, tokens, cols), cols);
        float[] got = w.clone();
        SparseGPT.prune(got, 1, cols, factor(x, tokens, cols, 1), new MaskRule.Fixed(m), 128, K, 1);
        assertEquals(0f, got[0]);
        for (int j = 1; j < cols; j++) // delta = -w_0 / [H^-1]_00 * [H^-1]_0j (Hassibi & Stork)
            assertEquals(w[j] - w[0] / hinv[0] * hinv[j], got[j], 1e-5);
    }

    @Test
    void sparsityZeroIsTheIdentity() {
        qt().withExamples(20).forAll(integers().between(1, 8), integers().between(1, 50), integers().between(0, 10_000))
                .checkAssert((rows, cols, seed) -> {
                    int tokens = 2 * cols + 3;
                    float[] x = Fixtures.correlatedInputs(seed, tokens, cols);
                    float[] w = Fixtures.gaussian(seed + 1, rows, cols, 1);
                    float[] got = w.clone();
                    SparseGPT.Result res = SparseGPT.prune(got, rows, cols, factor(x, tokens, cols, 1), new MaskRule.Adaptive(new PerMatrix(0)), 16, K, 2);
                    assertArrayEquals(w, got);
                    assertEquals(0, res.loss());
                });
    }

    @Test
    void nmGroupsAndExistingZerosHold() {
        qt().withExamples(30).forAll(integers().between(1, 9), integers().between(1, 12), integers().between(0, 2), integers().between(0, 10_000))
                .checkAssert((rows, groups, pattern, seed) -> {
                    int n = new int[] {2, 4, 1}[pattern], m = new int[] {4, 8, 3}[pattern];
                    int cols = groups * m, tokens = 2 * cols + 7;
                    float[] x = Fixtures.correlatedInputs(seed, tokens, cols);
                    float[] w = Fixtures.gaussian(seed + 1, rows, cols, 1);
                    for (int i = 0; i < w.length; i += 3) w[i] = 0; // an earlier pruning's zeros
                    float[] got = w.clone();
                    SparseGPT.prune(got, rows, cols, factor(x, tokens, cols, 2), new MaskRule.Groups(new NM(n, m), false), 10, K, 2);
                    for (int i = 0; i < w.length; i++) if (w[i] == 0) assertEquals(0f, got[i], "zero at " + i + " stays zero");
                    for (int r = 0; r < rows; r++)
                        for (int g = 0; g < cols; g += m) {
                            int nz = 0;
                            for (int c = g; c < g + m; c++) if (got[r * cols + c] != 0) nz++;
                            assertTrue(nz <= m - n, "row " + r + " group " + g + " keeps " + nz);
                        }
                });
    }

    @Test
    void unstructuredKeepsExistingZerosAndHitsTheTargetPerBlock() {
        int rows = 16, cols = 96, tokens = 300;
        float[] x = Fixtures.correlatedInputs(11, tokens, cols);
        float[] w = Fixtures.gaussian(12, rows, cols, 1);
        for (int i = 0; i < w.length; i += 5) w[i] = 0;
        float[] got = w.clone();
        SparseGPT.Result res = SparseGPT.prune(got, rows, cols, factor(x, tokens, cols, 2), new MaskRule.Adaptive(new PerMatrix(0.5)), 32, K, 2);
        for (int i = 0; i < w.length; i++) if (w[i] == 0) assertEquals(0f, got[i]);
        assertEquals(rows * cols / 2, res.zeros()); // 3 blocks of 16 x 32, each exactly half
        assertEquals(res.zeros(), Fixtures.zeros(got));
    }

    @Test
    void deadInputsAreZeroedAndSkipped() {
        int rows = 4, cols = 10, tokens = 40;
        float[] x = Fixtures.correlatedInputs(5, tokens, cols);
        for (int t = 0; t < tokens; t++) x[t * cols + 3] = 0; // feature 3 never fires
        float[] w = Fixtures.gaussian(6, rows, cols, 1);
        SparseGPT.Factor f = factor(x, tokens, cols, 1);
        assertEquals(1, f.deadCount());
        float[] got = w.clone();
        SparseGPT.prune(got, rows, cols, f, new MaskRule.Adaptive(new PerMatrix(0)), 128, K, 1);
        for (int r = 0; r < rows; r++) {
            assertEquals(0f, got[r * cols + 3]);
            for (int c = 0; c < cols; c++) if (c != 3) assertEquals(w[r * cols + c], got[r * cols + c]);
        }
    }

    @Test
    void reconstructionBeatsMagnitudeAndWandaMasksAtEqualSparsity() {
        int rows = 48, cols = 128, tokens = 512;
        for (long seed = 1; seed <= 3; seed++) {
            float[] x = Fixtures.correlatedInputs(seed, tokens, cols);
            float[] w = Fixtures.gaussian(seed + 100, rows, cols, 0.1);
            for (Sparsity target : new Sparsity[] {new Sparsity.Unstructured(0.5), new Sparsity.Groups(new NM(2, 4))}) {
                double mag = errorAfter("magnitude", w, rows, cols, x, tokens, target);
                double wanda = errorAfter("wanda", w, rows, cols, x, tokens, target);
                double sgpt = errorAfter("sparsegpt", w, rows, cols, x, tokens, target);
                assertTrue(sgpt < wanda && sgpt < mag, "seed " + seed + " " + target.label() + ": sparsegpt " + sgpt + " wanda " + wanda + " magnitude " + mag);
                assertTrue(wanda < mag, "seed " + seed + " " + target.label() + ": wanda " + wanda + " magnitude " + mag);
            }
        }
    }

    static double errorAfter(String method, float[] w, int rows, int cols, float[] x, int tokens, Sparsity target) {
        var pruner = Methods.create(method, false, K, 2);
        InputStats s = pruner.needs() == Statistic.NONE ? null : InputStats.of("test", x, tokens, cols, pruner.needs(), K);
        float[] v = w.clone();
        var report = pruner.prune(s, java.util.List.of(new LinearWeight("w", v, rows, cols, target))).getFirst();
        assertEquals(target.ratio(), report.sparsity(), 1e-9, method + " " + target.label());
        return Fixtures.outputError(w, v, rows, cols, x, tokens);
    }

    @Test
    void deterministicAcrossRunsAndThreadCounts() {
        int rows = 20, cols = 64, tokens = 200;
        float[] x = Fixtures.correlatedInputs(9, tokens, cols);
        float[] w = Fixtures.gaussian(10, rows, cols, 1);
        float[] a = w.clone(), b = w.clone();
        SparseGPT.prune(a, rows, cols, factor(x, tokens, cols, 1), new MaskRule.Adaptive(new PerMatrix(0.6)), 16, ScalarKernels.INSTANCE, 1);
        SparseGPT.prune(b, rows, cols, factor(x, tokens, cols, 3), new MaskRule.Adaptive(new PerMatrix(0.6)), 16, ScalarKernels.INSTANCE, 3);
        assertArrayEquals(a, b);
    }
}
