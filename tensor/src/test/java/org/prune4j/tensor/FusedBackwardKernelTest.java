package org.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fused backward kernels of training ({@link Kernels#swigluBackward}, {@link Kernels#rmsNormBackward}): the oracle
 * (composed defaults) and VectorKernels against double-precision formulas, with per-element running-error bounds.
 */
class FusedBackwardKernelTest {
    static final Kernels S = ScalarKernels.INSTANCE;
    static final Kernels V = new VectorKernels(2), V3 = new VectorKernels(3);
    static final double U = Close.U;
    /** Absolute slack for results in the subnormal range, where intermediate products underflow (as {@link Close#ulps} allows). */
    static final double TINY = Float.MIN_NORMAL;

    static void within(double[] expected, double[] bound, Tensor actual, String what) {
        float[] a = actual.toFloatArray();
        for (int i = 0; i < expected.length; i++)
            if (!(Math.abs(a[i] - expected[i]) <= bound[i]))
                fail(what + ": element " + i + " is " + a[i] + ", reference " + expected[i] + " (bound " + bound[i] + ")");
    }

    // ---------------------------------------------------------------- swiglu

    /**
     * d up = dy silu(g) and d gate = dy u silu'(g), silu'(g) = s + silu (1 - s). The float sigmoid and silu each carry
     * at most 6.5u relative (the forward's budget, 9.5u below -80), and 1 - s an absolute error of that times s: so
     * silu' errs by at most about 20u (s + |silu|) absolute, and three more products add 3u relative. Bounds:
     * d up 9u |d up|; d gate 24u |dy u| (s + |silu|) + 3u |d gate|; plus {@link #TINY}.
     */
    static void checkSwiglu(Kernels kern, Tensor g, Tensor u, Tensor dy, String what) {
        float[] ga = g.toFloatArray(), ua = u.toFloatArray(), da = dy.toFloatArray();
        int n = ga.length;
        double[] eg = new double[n], eu = new double[n], bg = new double[n], bu = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 1 / (1 + Math.exp(-ga[i])), silu = ga[i] * s, prime = s + silu * (1 - s);
            eu[i] = da[i] * silu;
            eg[i] = (double) da[i] * ua[i] * prime;
            bu[i] = 9.5 * U * Math.abs(eu[i]) + TINY;
            bg[i] = 24 * U * Math.abs((double) da[i] * ua[i]) * (s + Math.abs(silu)) + 3 * U * Math.abs(eg[i]) + TINY;
        }
        Tensor[] got = kern.swigluBackward(g, u, dy);
        assertArrayEquals(g.shape(), got[0].shape());
        assertArrayEquals(g.shape(), got[1].shape());
        within(eg, bg, got[0], kern.name() + " d gate of " + what);
        within(eu, bu, got[1], kern.name() + " d up of " + what);
    }

    @Test
    void swigluBackwardMatchesDoublePrecision() {
        qt().withExamples(60).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 0, 4, 40, 0.05);
            Tensor g = RandomViews.random(r, RandomViews.Values.WIDE, shape), u = RandomViews.random(r, shape), dy = RandomViews.random(r, shape);
            String what = RandomViews.describe(g) + ", " + RandomViews.describe(u) + ", " + RandomViews.describe(dy);
            checkSwiglu(S, g, u, dy, what);
            checkSwiglu(V, g, u, dy, what);
        });
        // split over threads with every chunk boundary mid-vector
        Tensor g = Tensor.randn(1, 3f, 100_003), u = Tensor.randn(2, 1f, 100_003), dy = Tensor.randn(3, 1f, 100_003);
        checkSwiglu(V3, g, u, dy, "100003 elements over 3 threads");
    }

    // ---------------------------------------------------------------- rmsNorm

    /**
     * dx = r (g - xhat p) with g = dy w, xhat = x r, p = mean(g xhat); dw = sum over rows of dy xhat. r carries a few u
     * (a float sum of C squares, (C + 4)u, then the root and division); each mean or sum of n terms (C + 4)u or
     * (rows + 4)u of its absolute sum. Bounds: dx (2C + 16)u r (|g| + |xhat| mean|g xhat|); dw (rows + C + 16)u sum |dy xhat|.
     */
    static void checkRmsNorm(Kernels kern, Tensor x, Tensor w, Tensor dy, float eps, String what) {
        int c = x.size(-1), rows = (int) (x.numel() / Math.max(1, c));
        float[] xa = x.toFloatArray(), da = dy.toFloatArray(), wa = w == null ? null : w.toFloatArray();
        double[] edx = new double[xa.length], bdx = new double[xa.length], edw = new double[c], bdw = new double[c];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int i = 0; i < c; i++) ss += (double) xa[r * c + i] * xa[r * c + i];
            double inv = 1 / Math.sqrt(ss / c + eps), p = 0, ap = 0;
            for (int i = 0; i < c; i++) {
                double gi = da[r * c + i] * (wa == null ? 1 : wa[i]), xh = xa[r * c + i] * inv;
                p += gi * xh;
                ap += Math.abs(gi * xh);
                edw[i] += da[r * c + i] * xh;
                bdw[i] += Math.abs(da[r * c + i] * xh);
            }
            p /= c;
            ap /= c;
            for (int i = 0; i < c; i++) {
                double gi = da[r * c + i] * (wa == null ? 1 : wa[i]), xh = xa[r * c + i] * inv;
                edx[r * c + i] = inv * (gi - xh * p);
                bdx[r * c + i] = (2 * c + 16) * U * inv * (Math.abs(gi) + Math.abs(xh) * ap) + TINY;
            }
        }
        for (int i = 0; i < c; i++) bdw[i] = (rows + c + 16) * U * bdw[i] + TINY;
        Tensor[] got = kern.rmsNormBackward(x, w, dy, eps);
        assertArrayEquals(x.shape(), got[0].shape());
        within(edx, bdx, got[0], kern.name() + " dx of " + what);
        if (w == null) assertNull(got[1], "no weight, no weight gradient");
        else {
            assertArrayEquals(w.shape(), got[1].shape());
            within(edw, bdw, got[1], kern.name() + " dw of " + what);
        }
    }

    @Test
    void rmsNormBackwardMatchesDoublePrecision() {
        qt().withExamples(60).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 1, 4, 40, 0.05);
            int c = shape[shape.length - 1];
            Tensor x = RandomViews.random(r, shape), dy = RandomViews.random(r, shape);
            Tensor w = r.nextInt(4) == 0 ? null : RandomViews.random(r, c);
            String what = RandomViews.describe(x) + ", " + (w == null ? "no weight" : RandomViews.describe(w)) + ", " + RandomViews.describe(dy);
            checkRmsNorm(S, x, w, dy, 1e-5f, what);
            checkRmsNorm(V, x, w, dy, 1e-5f, what);
        });
        // many row chunks over 3 threads, and a width that is not a multiple of the vector length
        Tensor x = Tensor.randn(1, 1f, 3000, 77), dy = Tensor.randn(2, 1f, 3000, 77), w = Tensor.randn(3, 1f, 77);
        checkRmsNorm(V3, x, w, dy, 1e-6f, "3000 x 77 over 3 threads");
    }

    @Test
    void rmsNormBackwardDoesNotDependOnTheThreadCount() {
        Tensor x = Tensor.randn(1, 1f, 5000, 64), dy = Tensor.randn(2, 1f, 5000, 64), w = Tensor.randn(3, 1f, 64);
        Tensor[] one = new VectorKernels(1).rmsNormBackward(x, w, dy, 1e-5f);
        for (int threads : new int[] {2, 3, 7}) {
            Tensor[] many = new VectorKernels(threads).rmsNormBackward(x, w, dy, 1e-5f);
            Close.exact(one[0], many[0], "dx with " + threads + " threads");
            Close.exact(one[1], many[1], "dw with " + threads + " threads");
        }
    }
}
