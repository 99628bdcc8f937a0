package org.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Reductions and argmax of VectorKernels against the oracle. */
class ReduceKernelTest {
    static final Kernels S = ScalarKernels.INSTANCE;
    static final Kernels V = new VectorKernels(2);
    static final Kernels V3 = new VectorKernels(3);

    /**
     * Allowed error of a float sum of n terms against the exact (double) sum: 2 (sqrt(n) + 2) u sum|x|. Rounding
     * errors of a sum behave like a random walk, so the error grows like sqrt(n) u sum|x| (Higham and Mary,
     * "A new approach to probabilistic rounding error analysis", 2019); the kernel sums in 4L independent
     * vector accumulators, whose deterministic worst case (n/4L + log2 4L) u sum|x| is below this bound for
     * n up to ~4000 with 16 lanes. + 1u for the final rounding (and MEAN's division).
     */
    static double sumBound(long n, double sumAbs) {
        return 2 * (Math.sqrt(n) + 2) * Close.U * sumAbs;
    }

    static void checkReduce(Kernels[] ks, Tensor a, int dim, boolean keepDim, String what) {
        int d = Shapes.dim(dim, a.shape());
        int n = a.size(d);
        Tensor absSum = S.reduce(ReduceOp.SUM, S.unary(UnaryOp.ABS, a), dim, keepDim);
        float[] sa = absSum.toFloatArray();
        for (ReduceOp op : ReduceOp.values()) {
            if ((op == ReduceOp.MAX || op == ReduceOp.MIN) && n == 0) continue;
            Tensor expected = S.reduce(op, a, dim, keepDim);
            for (Kernels k : ks) {
                Tensor actual = k.reduce(op, a, dim, keepDim);
                String msg = op + " over dim " + dim + (keepDim ? " keepDim" : "") + " of " + what + " by " + k.name();
                switch (op) {
                    case MAX, MIN -> Close.exact(expected, actual, msg); // a selection: no rounding at all
                    case SUM -> Close.within(expected, actual, i -> sumBound(n, sa[i]), msg);
                    case MEAN -> Close.within(expected, actual, i -> sumBound(n, sa[i]) / n, msg);
                }
            }
        }
        if (n > 0) {
            Indexed e = S.argmax(a, dim);
            for (Kernels k : ks) {
                Indexed v = k.argmax(a, dim);
                Close.exact(e.values(), v.values(), "argmax values, " + what + " by " + k.name());
                assertArrayEquals(e.indices(), v.indices(), "argmax indices, " + what + " by " + k.name());
            }
        }
    }

    @Test
    void reductionsMatchOracleOverEveryDimAndView() {
        qt().withExamples(100).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 1, 4, 40, 0.05);
            RandomViews.Values values = r.nextBoolean() ? RandomViews.Values.NORMAL : RandomViews.Values.SMALL_INTS; // ints: many ties
            Tensor a = RandomViews.random(r, values, shape);
            int dim = r.nextInt(-shape.length, shape.length);
            checkReduce(new Kernels[] {V}, a, dim, r.nextBoolean(), RandomViews.describe(a));
        });
    }

    @Test
    void longRowsAndManyColumnsSplitAcrossThreads() {
        Tensor rows = Tensor.randn(1, 1f, 3, 40_000);       // last dim longer than one reduction block
        Tensor one = Tensor.randn(2, 1f, 100_003);           // one long row: blocks in parallel
        Tensor cols = Tensor.randn(3, 1f, 70, 1200);         // leading dim: column blocks
        Tensor deep = Tensor.randn(4, 1f, 5, 300, 70);       // middle dim
        Kernels[] ks = {V, V3};
        checkReduce(ks, rows, -1, false, "[3, 40000]");
        checkReduce(ks, one, 0, true, "[100003]");
        checkReduce(ks, cols, 0, false, "[70, 1200]");
        checkReduce(ks, deep, 1, false, "[5, 300, 70]");
    }

    @Test
    void sumDoesNotDependOnTheThreadCount() {
        Tensor a = Tensor.randn(5, 1f, 2, 70_001);
        Tensor one = new VectorKernels(1).sum(a, 1, false);
        for (int t = 2; t <= 5; t++) Close.exact(one, new VectorKernels(t).sum(a, 1, false), "sum with " + t + " threads");
    }

    @Test
    void nanAndSignedZeroFollowTheOracle() {
        float nan = Float.NaN;
        Tensor a = Tensor.of(new float[] {
                1, nan, 3, 2,          // NaN is the max and the argmax
                -0f, 0f, -1, -2,       // +0 and -0 tie: argmax keeps the first
                0f, -0f, -1, -2,
                5, 5, 5, 5,            // ties: first index
                Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 5, 4);
        for (Kernels k : new Kernels[] {S, V}) {
            Indexed am = k.argmax(a, 1);
            assertArrayEquals(new int[] {1, 0, 0, 0, 0}, am.indices(), k.name());
            assertTrue(Float.isNaN(am.values().get(0)));
            assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(am.values().get(1)), k.name() + ": the first of -0, +0");
            assertTrue(Float.isNaN(k.sum(a, 1, false).get(0)) && Float.isNaN(k.max(a, 1, false).get(0)));
            assertEquals(Float.NEGATIVE_INFINITY, k.max(a, 1, false).get(4));
        }
        Close.exact(S.reduce(ReduceOp.MIN, a, 0, false), V.reduce(ReduceOp.MIN, a, 0, false), "min over dim 0 with NaN");
        Close.exact(S.argmax(a, 0).values(), V.argmax(a, 0).values(), "argmax over dim 0 with NaN");
        assertArrayEquals(S.argmax(a, 0).indices(), V.argmax(a, 0).indices());
    }

    @Test
    void emptyDims() {
        Tensor a = Tensor.zeros(3, 0, 4);
        for (Kernels k : new Kernels[] {S, V}) {
            assertArrayEquals(new float[12], k.sum(a, 1, false).toFloatArray(), k.name());
            assertTrue(Float.isNaN(k.mean(a, 1, true).get(0, 0, 0)), k.name() + ": mean of nothing");
            assertArrayEquals(new int[] {3, 1, 4}, k.mean(a, 1, true).shape());
            assertEquals(0, k.max(a, 2, false).numel());
            ShapeException e = assertThrows(ShapeException.class, () -> k.max(a, 1, false));
            assertTrue(e.getMessage().contains("[3, 0, 4]"), e.getMessage());
            assertThrows(ShapeException.class, () -> k.argmax(a, 1));
        }
    }
}
