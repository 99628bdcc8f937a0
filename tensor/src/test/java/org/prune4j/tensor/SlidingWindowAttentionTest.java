package org.prune4j.tensor;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * Sliding-window attention ({@link Kernels#slidingAttention} and its backward) against a masked oracle built from the
 * identity that defines the window: query p with window W is causal attention of that one query over keys
 * [max(0, p - W + 1), p]. So the forward oracle is the scalar oracle on that slice with the bound
 * {@link RopeAttentionKernelTest#attentionBounds} derives for it, and the backward oracle sums the double-precision
 * gradients of {@link AttentionBackwardKernelTest#reference} over the queries' slices.
 */
class SlidingWindowAttentionTest {
    static final Kernels S = ScalarKernels.INSTANCE;
    static final Kernels V = new VectorKernels(2);

    /** Checks kern.slidingAttention query by query against the oracle on the query's own key slice. */
    static void checkForward(Kernels kern, Tensor q, Tensor k, Tensor v, float scale, int window, String what) {
        Tensor got = kern.slidingAttention(q, k, v, scale, window);
        Assertions.assertArrayEquals(q.shape(), got.shape(), what + " shape");
        int t = q.size(1), len = k.size(1);
        for (int i = 0; i < t; i++) {
            int p = len - t + i, lo = Math.max(0, p - window + 1);
            Tensor qi = q.narrow(1, i, 1), ki = k.narrow(1, lo, p + 1 - lo), vi = v.narrow(1, lo, p + 1 - lo);
            RopeAttentionKernelTest.Expected e = RopeAttentionKernelTest.attentionBounds(qi, ki, vi, scale, true);
            Close.within(e.oracle(), got.narrow(1, i, 1), j -> e.bound()[j], "window " + window + " query " + i + " of " + what + " by " + kern.name());
        }
    }

    @Test
    void forwardMatchesTheMaskedOracleOnRandomShapes() {
        qt().withExamples(40).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int b = r.nextInt(1, 3), hkv = r.nextInt(1, 3), group = r.nextInt(1, 4), d = RandomViews.dim(r, 24);
            int t = r.nextInt(1, 150), sl = t + r.nextInt(0, 20);          // > 64 queries: several query blocks
            int window = r.nextInt(1, sl + 3);
            Tensor q = RandomViews.random(r, b, t, hkv * group, d);
            Tensor k = RandomViews.random(r, b, sl, hkv, d), v = RandomViews.random(r, b, sl, hkv, d);
            float scale = (float) (1 / Math.sqrt(Math.max(1, d)));
            String what = "T " + t + " S " + sl + " q " + RandomViews.describe(q) + " k " + RandomViews.describe(k);
            checkForward(V, q, k, v, scale, window, what);
            if (t * sl < 3000) checkForward(S, q, k, v, scale, window, what);
        });
    }

    @Test
    void decodingWithACacheLongerThanTheWindow() {
        Tensor k = Tensor.randn(1, 1f, 2, 300, 2, 16), v = Tensor.randn(2, 1f, 2, 300, 2, 16);
        Tensor q = Tensor.randn(3, 1f, 2, 1, 4, 16);
        for (int window : new int[] {1, 7, 64, 299, 300, 5000}) checkForward(V, q, k, v, 0.25f, window, "decode S=300");
        // a window that excludes keys changes the result (the test can tell windowed from causal)
        Tensor full = V.attention(q, k, v, 0.25f, true), windowed = V.slidingAttention(q, k, v, 0.25f, 7);
        Assertions.assertTrue(Math.abs(full.get(0, 0, 0, 0) - windowed.get(0, 0, 0, 0)) > 1e-4, "window 7 of 300 differs from full causal");
    }

    @Test
    void backwardMatchesSummedPerQueryGradients() {
        SplittableRandom r = new SplittableRandom(17);
        for (int[] c : new int[][] {{1, 20, 20, 1, 2, 8, 5}, {2, 30, 34, 2, 2, 16, 9}, {1, 70, 70, 1, 3, 5, 64}, {1, 12, 12, 2, 1, 33, 1}}) {
            int b = c[0], t = c[1], sl = c[2], hkv = c[3], group = c[4], d = c[5], window = c[6];
            Tensor q = RandomViews.random(r, b, t, hkv * group, d), dOut = RandomViews.random(r, b, t, hkv * group, d);
            Tensor k = RandomViews.random(r, b, sl, hkv, d), v = RandomViews.random(r, b, sl, hkv, d);
            float scale = (float) (1 / Math.sqrt(d));
            double[][] want = {new double[q.numel() > 0 ? (int) q.numel() : 0], new double[(int) k.numel()], new double[(int) v.numel()]};
            double[][] bound = {new double[want[0].length], new double[want[1].length], new double[want[2].length]};
            int h = hkv * group;
            for (int i = 0; i < t; i++) {
                int p = sl - t + i, lo = Math.max(0, p - window + 1), n = p + 1 - lo;
                AttentionBackwardKernelTest.Reference ref = AttentionBackwardKernelTest.reference(q.narrow(1, i, 1), k.narrow(1, lo, n),
                        v.narrow(1, lo, n), dOut.narrow(1, i, 1), scale, true);
                for (int bi = 0; bi < b; bi++) {
                    for (int e = 0; e < h * d; e++) {
                        want[0][(bi * t + i) * h * d + e] += ref.grads()[0][bi * h * d + e];
                        bound[0][(bi * t + i) * h * d + e] += ref.bounds()[0][bi * h * d + e];
                    }
                    for (int j = 0; j < n; j++)
                        for (int e = 0; e < hkv * d; e++)
                            for (int g = 1; g <= 2; g++) {
                                want[g][((bi * sl) + lo + j) * hkv * d + e] += ref.grads()[g][(bi * n + j) * hkv * d + e];
                                bound[g][((bi * sl) + lo + j) * hkv * d + e] += ref.bounds()[g][(bi * n + j) * hkv * d + e];
                            }
                }
            }
            // each per-query bound counts G chained terms for dk/dv; the kernel chains up to G·T (and S keys): scale to that
            double chain = (double) (sl + d + group * t + 16) / (1 + d + group + 16);
            for (Kernels kern : new Kernels[] {S, V}) {
                Tensor[] got = kern.slidingAttentionBackward(q, k, v, dOut, scale, window);
                String[] names = {"dq", "dk", "dv"};
                for (int g = 0; g < 3; g++) {
                    float[] a = got[g].toFloatArray();
                    for (int e = 0; e < a.length; e++)
                        if (!(Math.abs(a[e] - want[g][e]) <= chain * bound[g][e]))
                            Assertions.fail(kern.name() + " " + names[g] + " window " + window + " " + java.util.Arrays.toString(c) + ": element " + e
                                    + " is " + a[e] + ", reference " + want[g][e] + " (bound " + chain * bound[g][e] + ")");
                }
            }
        }
    }

    @Test
    void aWindowBelowOneIsRefused() {
        Tensor q = Tensor.zeros(1, 2, 1, 4), k = Tensor.zeros(1, 2, 1, 4);
        Assertions.assertThrows(IllegalArgumentException.class, () -> V.slidingAttention(q, k, k, 1f, 0));
        Assertions.assertThrows(IllegalArgumentException.class, () -> V.slidingAttentionBackward(q, k, k, q, 1f, 0));
    }
}
