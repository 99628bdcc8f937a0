package org.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Last-dim row ops (softmax, log-softmax, RMSNorm, LayerNorm) of VectorKernels against the oracle, with
 * error bounds derived per element from the op's float rounding steps (u = 2^-24 per rounding, the float
 * sums' sqrt(n) growth as in {@link ReduceKernelTest#sumBound}).
 */
class RowOpsKernelTest {
    static final Kernels S = ScalarKernels.INSTANCE;
    static final Kernels V = new VectorKernels(2);
    static final Kernels V3 = new VectorKernels(3);
    static final double U = Close.U;

    /** Row statistics of the input, in double: max m, log-sum-exp shift ls, and A = sum_k p_k |x_k - m|. */
    record RowStats(double max, double logSum, double spread) {
        static RowStats of(float[] x, int from, int n) {
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) m = Math.max(m, x[from + j]);
            double sum = 0, spread = 0;
            for (int j = 0; j < n; j++) sum += Math.exp(x[from + j] - m);
            for (int j = 0; j < n; j++) spread += Math.exp(x[from + j] - m) / sum * Math.abs(x[from + j] - m);
            return new RowStats(m, Math.log(sum), spread);
        }
    }

    /**
     * Softmax p_j = e^(x_j - m) / sum: x_j - m rounds (u|x_j - m| in the exponent, so relative u|x_j - m| in e_j), exp
     * 2u, the float sum of the e_k adds their weighted errors u(A + 2) and 2(sqrt(n) + 2)u, 1/sum u, the product u,
     * the oracle's own rounding u: p_j u (|x_j - m| + A + 11 + 2 sqrt(n)).
     */
    static void checkSoftmax(Kernels k, Tensor a, String what) {
        int cols = a.rank() == 0 ? 1 : a.size(-1);
        float[] x = a.toFloatArray();
        Tensor p = S.softmax(a), y = S.logSoftmax(a);
        float[] pe = p.toFloatArray(), ye = y.toFloatArray();
        RowStats[] st = new RowStats[cols == 0 ? 0 : x.length / cols];
        for (int r = 0; r < st.length; r++) st[r] = RowStats.of(x, r * cols, cols);
        double rootN = Math.sqrt(cols);
        Close.within(p, k.softmax(a), i -> {
            RowStats s = st[i / cols];
            // + 2^-148: a subnormal e_j or p_j carries an absolute rounding error of 2^-150 per step instead
            return Math.abs(pe[i]) * U * (Math.abs(x[i] - s.max) + s.spread + 11 + 2 * rootN) + 2 * Float.MIN_VALUE;
        }, "softmax of " + what);
        // log-softmax y_j = (x_j - m) - ls: the same sum error, now absolute in ls, + the two subtractions' roundings
        Close.within(y, k.logSoftmax(a), i -> {
            RowStats s = st[i / cols];
            return U * (Math.abs(x[i] - s.max) + 2 * Math.abs(ye[i]) + Math.abs(s.logSum) + s.spread + 11 + 2 * rootN);
        }, "logSoftmax of " + what);
    }

    @Test
    void softmaxAndLogSoftmaxMatchOracle() {
        qt().withExamples(80).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 0, 4, 70, 0.05);
            RandomViews.Values values = r.nextBoolean() ? RandomViews.Values.NORMAL : RandomViews.Values.WIDE; // WIDE: far-apart logits
            Tensor a = RandomViews.random(r, values, shape);
            checkSoftmax(V, a, RandomViews.describe(a));
        });
        Tensor vocab = Tensor.randn(1, 4f, 3, 32_000); // LM-head logits: long rows, split over threads
        checkSoftmax(V3, vocab, "[5, 32000]");
    }

    @Test
    void softmaxEdgeRows() {
        float inf = Float.POSITIVE_INFINITY;
        Tensor a = Tensor.of(new float[] {
                0, -inf, 1, -inf,        // masked entries get exactly 0
                -inf, -inf, -inf, -inf,  // a fully masked row is NaN, as in PyTorch
                1e30f, -1e30f, 0, 1e30f, // huge logits stay finite (the max is subtracted first)
                Float.NaN, 0, 0, 0}, 4, 4);
        for (Kernels k : new Kernels[] {S, V}) {
            Tensor p = k.softmax(a);
            assertEquals(0f, p.get(0, 1), k.name());
            assertEquals(0f, p.get(0, 3), k.name());
            assertTrue(Float.isNaN(p.get(1, 0)), k.name());
            assertEquals(0.5f, p.get(2, 0), k.name());
            assertEquals(0.5f, p.get(2, 3), k.name());
            assertTrue(Float.isNaN(p.get(3, 1)), k.name());
            assertEquals(Float.NEGATIVE_INFINITY, k.logSoftmax(a).get(0, 1), k.name());
        }
    }

    @Test
    void softmaxRowsAreDistributionsAndLogSoftmaxIsTheirLog() {
        qt().withExamples(60).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 1, 3, 300, 0);
            Tensor a = RandomViews.random(r, RandomViews.Values.WIDE, shape);
            int cols = shape[shape.length - 1];
            float[] p = V.softmax(a).toFloatArray(), y = V.logSoftmax(a).toFloatArray();
            for (int row = 0; row < p.length / cols; row++) {
                double sum = 0;
                for (int j = 0; j < cols; j++) {
                    float v = p[row * cols + j];
                    assertTrue(v >= 0 && v <= 1, "softmax value " + v + " outside [0, 1]");
                    sum += v;
                    // log p = y where p is a normal float: p's relative error becomes an absolute one in log p
                    if (v > 1e-30) assertEquals(y[row * cols + j], Math.log(v), 1e-5 * (1 + Math.abs(y[row * cols + j])), "log softmax");
                }
                // each p_j is within u (|x_j - m| + A + 11 + 2 sqrt n) relative: weighted, the row sum is 1 within that
                assertEquals(1.0, sum, U * (60 + 4 * Math.sqrt(cols)) + cols * U, "row " + row + " sums to 1");
            }
        });
    }

    /** RMSNorm x inv w: the sum of squares is a float sum of n positive terms (2(sqrt n + 2)u), inv takes half of that plus a rounding, two products, the oracle's rounding. */
    static void checkRmsNorm(Kernels k, Tensor x, Tensor w, float eps, String what) {
        int c = x.rank() == 0 ? 1 : x.size(-1);
        Tensor e = S.rmsNorm(x, w, eps);
        float[] ee = e.toFloatArray();
        double bound = U * (Math.sqrt(c) + 2 + 1 + 2 + 1);
        Close.within(e, k.rmsNorm(x, w, eps), i -> Math.abs(ee[i]) * bound, "rmsNorm of " + what);
    }

    /**
     * LayerNorm (x - mean) inv w + b: the mean is off by dm = its sum's bound / n + u|mean|; x - mean by dm + u|x - mean|;
     * inv by the variance sum's (sqrt n + 2)u + 1u + dm^2/var; then the product, the fma and the oracle's rounding.
     */
    static void checkLayerNorm(Kernels k, Tensor x, Tensor w, Tensor b, float eps, String what) {
        int c = x.rank() == 0 ? 1 : x.size(-1);
        float[] xs = x.toFloatArray();
        float[] ws = w == null ? null : w.toFloatArray(), bs = b == null ? null : b.toFloatArray();
        Tensor e = S.layerNorm(x, w, b, eps);
        float[] ee = e.toFloatArray();
        double[] dm = new double[xs.length / Math.max(c, 1)], mean = new double[dm.length], inv = new double[dm.length], rel = new double[dm.length];
        for (int r = 0; r < dm.length; r++) {
            double s = 0, sa = 0, v = 0;
            for (int j = 0; j < c; j++) {
                s += xs[r * c + j];
                sa += Math.abs(xs[r * c + j]);
            }
            mean[r] = s / c;
            for (int j = 0; j < c; j++) v += (xs[r * c + j] - mean[r]) * (xs[r * c + j] - mean[r]);
            v /= c;
            dm[r] = ReduceKernelTest.sumBound(c, sa) / c + U * Math.abs(mean[r]);
            inv[r] = 1 / Math.sqrt(v + eps);
            rel[r] = (Math.sqrt(c) + 2) * U + U + dm[r] * dm[r] / (v + eps);
        }
        Close.within(e, k.layerNorm(x, w, b, eps), i -> {
            int r = i / c, j = i % c;
            double wj = ws == null ? 1 : Math.abs(ws[j]), bj = bs == null ? 0 : Math.abs(bs[j]);
            double d = Math.abs(xs[i] - mean[r]);
            return wj * inv[r] * (dm[r] + U * d + d * (rel[r] + 2 * U)) + U * (2 * Math.abs(ee[i]) + bj);
        }, "layerNorm of " + what);
    }

    @Test
    void normsMatchOracle() {
        qt().withExamples(100).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 1, 4, 70, 0.05);
            int c = shape[shape.length - 1];
            RandomViews.Values values = r.nextBoolean() ? RandomViews.Values.NORMAL : RandomViews.Values.WIDE;
            Tensor x = RandomViews.random(r, values, shape);
            Tensor w = r.nextInt(4) == 0 ? null : RandomViews.random(r, c);
            Tensor b = r.nextInt(4) == 0 ? null : RandomViews.random(r, c);
            float eps = r.nextBoolean() ? 1e-5f : 1e-6f;
            String what = RandomViews.describe(x) + (w == null ? " no weight" : " weight " + RandomViews.describe(w));
            checkRmsNorm(V, x, w, eps, what);
            checkLayerNorm(V, x, w, b, eps, what);
        });
        Tensor x = Tensor.randn(2, 3f, 40, 4096); // Llama rows, split over threads; an offset mean stresses LayerNorm
        Tensor w = Tensor.randn(3, 1f, 4096), b = Tensor.randn(4, 1f, 4096);
        checkRmsNorm(V3, x, w, 1e-5f, "[40, 4096]");
        checkLayerNorm(V3, V3.scalarOp(BinaryOp.ADD, x, 100f), w, b, 1e-5f, "[40, 4096] + 100");
    }

    @Test
    void rmsNormOfAConstantRowIsItsSign() {
        Tensor x = Tensor.full(-3f, 2, 37);
        for (Kernels k : new Kernels[] {S, V})
            for (float v : k.rmsNorm(x, null, 0f).toFloatArray()) assertEquals(-1f, v, 2 * Math.ulp(1f), k.name());
    }
}
