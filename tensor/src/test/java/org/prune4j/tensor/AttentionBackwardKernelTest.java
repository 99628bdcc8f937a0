package org.prune4j.tensor;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The attention backward ({@link Kernels#attentionBackward}) of the oracle (the composed default) and of the fused
 * VectorKernels version, both against a double-precision evaluation of the formulas, on random GQA shapes and views.
 */
class AttentionBackwardKernelTest {
    static final Kernels S = ScalarKernels.INSTANCE;
    static final Kernels V = new VectorKernels(2);
    static final double U = Close.U;

    /** Double-precision gradients and, per element, the bound the float kernels must meet. */
    record Reference(double[][] grads, double[][] bounds) {}

    /**
     * dq, dk, dv in double, with the running-error bound of each element: every output is a sum of products, and a float
     * evaluation of such a sum errs by at most about (n + 2) u times the same sum taken over the terms' absolute
     * values (Higham's gamma_n bound), n the number of terms in its chain. The probabilities add a relative error of
     * about u (|s - max| + 2 sqrt S + 11) (exp of the shifted score, the row sum, the division; as the forward test
     * bounds it), which the absolute sums absorb with the factor below. So: bound = u (S + D + 16 + 2 spread) A, A the
     * formula evaluated on absolute values, spread the largest score range of a row.
     */
    static Reference reference(Tensor q, Tensor k, Tensor v, Tensor dOut, float scale, boolean causal) {
        AttentionShape s = AttentionShape.of(q, k, v);
        int b = s.b(), t = s.t(), h = s.h(), d = s.d(), len = s.s(), hkv = s.hkv(), g = s.group();
        float[] qa = q.toFloatArray(), ka = k.toFloatArray(), va = v.toFloatArray(), ga = dOut.toFloatArray();
        double[] dq = new double[qa.length], dk = new double[ka.length], dv = new double[va.length];
        double[] aq = new double[qa.length], ak = new double[ka.length], av = new double[va.length];
        double spread = 0;
        double[] p = new double[len], dp = new double[len], adp = new double[len];
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
                for (int ti = 0; ti < t; ti++) {
                    int kh = hi / g, vis = causal ? len - t + ti + 1 : len, qo = ((bi * t + ti) * h + hi) * d;
                    double max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY;
                    for (int j = 0; j < vis; j++) {
                        int ko = ((bi * len + j) * hkv + kh) * d;
                        double sc = 0, dpj = 0, adpj = 0;
                        for (int i = 0; i < d; i++) {
                            sc += (double) qa[qo + i] * ka[ko + i];
                            dpj += (double) ga[qo + i] * va[ko + i];
                            adpj += Math.abs((double) ga[qo + i] * va[ko + i]);
                        }
                        p[j] = sc * scale;
                        dp[j] = dpj;
                        adp[j] = adpj;
                        max = Math.max(max, p[j]);
                        min = Math.min(min, p[j]);
                    }
                    spread = Math.max(spread, max - min);
                    double sum = 0, delta = 0, adelta = 0;
                    for (int j = 0; j < vis; j++) sum += (p[j] = Math.exp(p[j] - max));
                    for (int j = 0; j < vis; j++) {
                        p[j] /= sum;
                        delta += p[j] * dp[j];
                        adelta += p[j] * adp[j];
                    }
                    for (int j = 0; j < vis; j++) {
                        int ko = ((bi * len + j) * hkv + kh) * d;
                        double ds = p[j] * (dp[j] - delta) * scale, ads = p[j] * (adp[j] + adelta) * Math.abs(scale);
                        for (int i = 0; i < d; i++) {
                            dq[qo + i] += ds * ka[ko + i];
                            aq[qo + i] += ads * Math.abs(ka[ko + i]);
                            dk[ko + i] += ds * qa[qo + i];
                            ak[ko + i] += ads * Math.abs(qa[qo + i]);
                            dv[ko + i] += p[j] * ga[qo + i];
                            av[ko + i] += p[j] * Math.abs(ga[qo + i]);
                        }
                    }
                }
        double c = U * (len + d + g * t + 16 + 2 * spread);
        for (double[] a : new double[][] {aq, ak, av})
            for (int i = 0; i < a.length; i++) a[i] = c * a[i] + Float.MIN_VALUE;
        return new Reference(new double[][] {dq, dk, dv}, new double[][] {aq, ak, av});
    }

    static void check(Kernels kern, Tensor q, Tensor k, Tensor v, Tensor dOut, float scale, boolean causal, String what) {
        Reference ref = reference(q, k, v, dOut, scale, causal);
        Tensor[] got = kern.attentionBackward(q, k, v, dOut, scale, causal);
        String[] names = {"dq", "dk", "dv"};
        int[][] shapes = {q.shape(), k.shape(), v.shape()};
        for (int n = 0; n < 3; n++) {
            double[] e = ref.grads()[n], bound = ref.bounds()[n];
            float[] a = got[n].toFloatArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(shapes[n], got[n].shape(), names[n] + " shape");
            for (int i = 0; i < e.length; i++)
                if (!(Math.abs(a[i] - e[i]) <= bound[i]))
                    org.junit.jupiter.api.Assertions.fail(kern.name() + " " + names[n] + " of " + (causal ? "causal " : "") + what + ": element " + i
                            + " is " + a[i] + ", reference " + e[i] + " (bound " + bound[i] + ")");
        }
    }

    @Test
    void matchesDoublePrecisionOnRandomGqaShapesAndViews() {
        qt().withExamples(60).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int b = r.nextInt(1, 3), hkv = r.nextInt(1, 4), group = r.nextInt(1, 5), d = RandomViews.dim(r, 40);
            int t = r.nextInt(1, 20), sl = t + r.nextInt(0, 12);
            Tensor q = RandomViews.random(r, b, t, hkv * group, d), dOut = RandomViews.random(r, b, t, hkv * group, d);
            Tensor k = RandomViews.random(r, b, sl, hkv, d), v = RandomViews.random(r, b, sl, hkv, d);
            boolean causal = r.nextBoolean();
            float scale = (float) (1 / Math.sqrt(Math.max(1, d)));
            String what = "q " + RandomViews.describe(q) + " k " + RandomViews.describe(k) + " v " + RandomViews.describe(v) + " dOut " + RandomViews.describe(dOut);
            check(S, q, k, v, dOut, scale, causal, what);
            check(V, q, k, v, dOut, scale, causal, what);
        });
    }

    @Test
    void trainingShapesWithManyRowBlocks() {
        // several row blocks per unit (keys accumulate across blocks), head dims below, at and above the vector width
        SplittableRandom r = new SplittableRandom(5);
        for (int[] c : new int[][] {{2, 70, 70, 2, 4, 16}, {1, 40, 45, 1, 8, 8}, {1, 33, 33, 3, 2, 64}, {2, 50, 50, 2, 1, 37}}) {
            int b = c[0], t = c[1], sl = c[2], hkv = c[3], group = c[4], d = c[5];
            Tensor q = RandomViews.random(r, b, t, hkv * group, d), dOut = RandomViews.random(r, b, t, hkv * group, d);
            Tensor k = RandomViews.random(r, b, sl, hkv, d), v = RandomViews.random(r, b, sl, hkv, d);
            for (boolean causal : new boolean[] {true, false}) check(V, q, k, v, dOut, 0.25f, causal, java.util.Arrays.toString(c));
        }
    }

    @Test
    void doesNotDependOnTheThreadCount() {
        Tensor q = Tensor.randn(1, 1f, 3, 50, 8, 24), k = Tensor.randn(2, 1f, 3, 50, 2, 24), v = Tensor.randn(3, 1f, 3, 50, 2, 24);
        Tensor dOut = Tensor.randn(4, 1f, 3, 50, 8, 24);
        Tensor[] one = new VectorKernels(1).attentionBackward(q, k, v, dOut, 0.2f, true);
        for (int threads : new int[] {2, 3, 16}) {
            Tensor[] many = new VectorKernels(threads).attentionBackward(q, k, v, dOut, 0.2f, true);
            for (int i = 0; i < 3; i++) Close.exact(one[i], many[i], "gradient " + i + " with " + threads + " threads");
        }
    }

    @Test
    void shapeErrorsNameTheShapes() {
        Tensor q = Tensor.zeros(1, 2, 4, 8), k = Tensor.zeros(1, 2, 2, 8);
        for (Kernels kern : new Kernels[] {S, V}) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(ShapeException.class,
                    () -> kern.attentionBackward(q, k, k, Tensor.zeros(1, 2, 4, 4), 1f, true));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("[1, 2, 4, 4]"), e.getMessage());
        }
    }
}
