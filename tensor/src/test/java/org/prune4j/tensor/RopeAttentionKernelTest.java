package org.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Rotary embedding and fused attention of VectorKernels against the oracle, plus their algebraic properties. */
class RopeAttentionKernelTest {
    static final Kernels S = ScalarKernels.INSTANCE;
    static final Kernels V = new VectorKernels(2);
    static final Kernels V3 = new VectorKernels(3);
    static final double U = Close.U;

    // ---------------------------------------------------------------- rope

    /** cos and sin [T, D/2] of Llama's rotary angles t * base^(-2i/D), as views of a longer [maxT, D/2] cache from position p0. */
    static Tensor[] angles(int t, int d, int p0) {
        int half = d / 2, rows = p0 + t;
        float[] c = new float[rows * half], s = new float[rows * half];
        for (int p = 0; p < rows; p++)
            for (int i = 0; i < half; i++) {
                double theta = p * Math.pow(10000, -2.0 * i / d);
                c[p * half + i] = (float) Math.cos(theta);
                s[p * half + i] = (float) Math.sin(theta);
            }
        return new Tensor[] {Tensor.of(c, rows, half).narrow(0, p0, t), Tensor.of(s, rows, half).narrow(0, p0, t)};
    }

    static int[] ropeShape(SplittableRandom r) {
        int lead = r.nextInt(0, 3);
        int[] s = new int[lead + 3];
        for (int i = 0; i < lead; i++) s[i] = r.nextInt(0, 3);
        s[lead] = r.nextInt(1, 9);                       // T
        s[lead + 1] = r.nextInt(1, 5);                   // H
        s[lead + 2] = 2 * RandomViews.dim(r, 40);        // D even: 2, 6, 30, 34, 62, 66, ...
        return s;
    }

    /** Pair partner of element index j within a head of size d. */
    static int partner(int j, int d, boolean interleaved) {
        return interleaved ? j ^ 1 : (j < d / 2 ? j + d / 2 : j - d / 2);
    }

    @Test
    void ropeMatchesOracleInBothPairings() {
        qt().withExamples(80).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = ropeShape(r);
            int t = shape[shape.length - 3], d = shape[shape.length - 1];
            Tensor x = RandomViews.random(r, shape);
            Tensor[] cs = angles(t, d, r.nextInt(0, 50));
            float[] xs = x.toFloatArray(), c = cs[0].toFloatArray(), s = cs[1].toFloatArray();
            int h = shape[shape.length - 2];
            for (boolean interleaved : new boolean[] {false, true}) {
                Tensor e = S.rope(x, cs[0], cs[1], interleaved);
                float[] ee = e.toFloatArray();
                // out = fma(a, c, -(b s)): b s rounds (u|b s|), the fma rounds (u|out|); the oracle rounds once more
                Close.within(e, V.rope(x, cs[0], cs[1], interleaved), i -> {
                    int j = i % d, row = i / d, ti = (row / h) % t, pair = interleaved ? j / 2 : j % (d / 2);
                    double bs = Math.abs(xs[row * d + partner(j, d, interleaved)] * s[ti * (d / 2) + pair]);
                    return U * (bs + 2 * Math.abs(ee[i]));
                }, "rope " + (interleaved ? "interleaved " : "") + RandomViews.describe(x));
            }
        });
    }

    @Test
    void ropePreservesPairNormsAndMinusSinInvertsIt() {
        qt().withExamples(30).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = ropeShape(r);
            int t = shape[shape.length - 3], d = shape[shape.length - 1];
            Tensor x = RandomViews.random(r, shape);
            Tensor[] cs = angles(t, d, r.nextInt(0, 5000));
            Tensor minusSin = V.scalarOp(BinaryOp.MUL, cs[1], -1f);
            for (boolean interleaved : new boolean[] {false, true}) {
                float[] in = x.toFloatArray(), out = V.rope(x, cs[0], cs[1], interleaved).toFloatArray();
                float[] back = V.rope(V.rope(x, cs[0], cs[1], interleaved), cs[0], minusSin, interleaved).toFloatArray();
                for (int i = 0; i < in.length; i++) {
                    int p = i - i % d + partner(i % d, d, interleaved);
                    double n0 = (double) in[i] * in[i] + (double) in[p] * in[p], n1 = (double) out[i] * out[i] + (double) out[p] * out[p];
                    // cos^2 + sin^2 = 1 within 2u (both rounded to float), each output within ~2u (|a| + |b|) relative
                    assertEquals(n0, n1, 8 * U * n0 + 1e-30, "pair norm at " + i);
                    assertEquals(in[i], back[i], 8 * U * (Math.abs(in[i]) + Math.abs(in[p])) + 1e-30, "rope(-sin) o rope at " + i);
                }
            }
        });
    }

    // ---------------------------------------------------------------- attention

    /**
     * Error bound of each attention output element, from the rounding steps of the float kernel: each score
     * q.k * scale is a float dot product of D terms (2(sqrt D + 2)u sum_d |q_d k_d| |scale|, + u|s| for the
     * scale) and a score error ds moves the output by at most 2 max|ds| max_j|v_j|; the softmax weights carry
     * u(|s_j - m| + A + 11 + 2 sqrt S) relative (as {@link RowOpsKernelTest#checkSoftmax}); the weighted sum of S
     * rows of v is a float sum (2(sqrt S + 2)u sum_j p_j|v_j|); then the final scale and the oracle's rounding.
     */
    record Expected(Tensor oracle, float[] bound) {}

    static Expected attentionBounds(Tensor q, Tensor k, Tensor v, float scale, boolean causal) {
        AttentionShape s = AttentionShape.of(q, k, v);
        Tensor oracle = S.attention(q, k, v, scale, causal);
        float[] qa = q.toFloatArray(), ka = k.toFloatArray(), va = v.toFloatArray(), oa = oracle.toFloatArray();
        int d = s.d(), h = s.h(), hkv = s.hkv();
        float[] bound = new float[qa.length];
        double[] sc = new double[s.s()], p = new double[s.s()];
        for (int b = 0; b < s.b(); b++)
            for (int hi = 0; hi < h; hi++)
                for (int t = 0; t < s.t(); t++) {
                    int kh = hi / s.group(), vis = causal ? s.s() - s.t() + t + 1 : s.s();
                    int qo = ((b * s.t() + t) * h + hi) * d;
                    double m = Double.NEGATIVE_INFINITY, maxDs = 0;
                    for (int j = 0; j < vis; j++) {
                        int ko = ((b * s.s() + j) * hkv + kh) * d;
                        double dot = 0, abs = 0;
                        for (int i = 0; i < d; i++) {
                            double prod = (double) qa[qo + i] * ka[ko + i];
                            dot += prod;
                            abs += Math.abs(prod);
                        }
                        sc[j] = dot * scale;
                        maxDs = Math.max(maxDs, 2 * (Math.sqrt(d) + 2) * U * abs * Math.abs(scale) + U * Math.abs(sc[j]));
                        m = Math.max(m, sc[j]);
                    }
                    double sum = 0, spread = 0;
                    for (int j = 0; j < vis; j++) sum += (p[j] = Math.exp(sc[j] - m));
                    for (int j = 0; j < vis; j++) spread += (p[j] /= sum) * Math.abs(sc[j] - m);
                    for (int i = 0; i < d; i++) {
                        double maxV = 0, weighted = 0, weightedErr = 0;
                        for (int j = 0; j < vis; j++) {
                            double av = Math.abs(va[((b * s.s() + j) * hkv + kh) * d + i]);
                            maxV = Math.max(maxV, av);
                            weighted += p[j] * av;
                            weightedErr += p[j] * av * U * (Math.abs(sc[j] - m) + spread + 11 + 2 * Math.sqrt(vis));
                        }
                        bound[qo + i] = (float) (2 * maxDs * maxV + weightedErr + 2 * (Math.sqrt(vis) + 2) * U * weighted
                                + 2 * U * Math.abs(oa[qo + i]) + Float.MIN_VALUE);
                    }
                }
        return new Expected(oracle, bound);
    }

    static void checkAttention(Kernels kern, Tensor q, Tensor k, Tensor v, float scale, boolean causal, String what) {
        checkAttention(new Kernels[] {kern}, q, k, v, scale, causal, what);
    }

    static void checkAttention(Kernels[] kernels, Tensor q, Tensor k, Tensor v, float scale, boolean causal, String what) {
        Expected e = attentionBounds(q, k, v, scale, causal);
        for (Kernels kern : kernels)
            Close.within(e.oracle(), kern.attention(q, k, v, scale, causal), i -> e.bound()[i],
                    (causal ? "causal " : "") + "attention " + what + " by " + kern.name());
    }

    @Test
    void attentionMatchesOracleOnRandomGqaShapesAndViews() {
        qt().withExamples(60).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int b = r.nextInt(1, 3), hkv = r.nextInt(1, 4), group = r.nextInt(1, 5), d = RandomViews.dim(r, 40);
            int t = r.nextInt(0, 7), sl = t + r.nextInt(t == 0 ? 1 : 0, 12);
            Tensor q = RandomViews.random(r, b, t, hkv * group, d);
            Tensor k = RandomViews.random(r, b, sl, hkv, d), v = RandomViews.random(r, b, sl, hkv, d);
            boolean causal = r.nextBoolean();
            float scale = (float) (1 / Math.sqrt(d));
            checkAttention(V, q, k, v, scale, causal, "q " + RandomViews.describe(q) + " k " + RandomViews.describe(k) + " v " + RandomViews.describe(v));
        });
    }

    @Test
    void decodingAgainstALongStridedKvCache() {
        // a KV cache [B, maxS, Hkv, D] filled up to S: k and v are narrowed views (not contiguous for B > 1)
        int b = 2, maxS = 1100, sl = 1000, hkv = 2, group = 4, d = 64;
        Tensor kCache = Tensor.randn(1, 1f, b, maxS, hkv, d), vCache = Tensor.randn(2, 1f, b, maxS, hkv, d);
        Tensor k = kCache.narrow(1, 0, sl), v = vCache.narrow(1, 0, sl);
        Tensor q = Tensor.randn(3, 1f, b, 1, hkv * group, d);
        float scale = 0.125f;
        checkAttention(new Kernels[] {V, V3, new VectorKernels(8)}, q, k, v, scale, true, "decode S=1000");
        // BF16 cache (k, v stored half-precision in a memory segment)
        Tensor kb = kCache.to(DType.BF16, Arena.ofAuto()).narrow(1, 0, sl), vb = vCache.to(DType.BF16, Arena.ofAuto()).narrow(1, 0, sl);
        checkAttention(V, q, kb, vb, scale, true, "decode BF16 cache");
        // prefill with a cache holding earlier positions: T = 9 queries at positions 991..999
        Tensor qp = Tensor.randn(4, 1f, b, 9, hkv * group, d);
        checkAttention(V3, qp, k, v, scale, true, "prefill after cache");
        checkAttention(V3, qp, k, v, scale, false, "full attention");
    }

    @Test
    void prefillWithOddSizesAndPartialKeyBlocks() {
        // many query rows per unit (the transposed-key path), key counts and head dims that are not multiples of the vector width
        SplittableRandom r = new SplittableRandom(11);
        for (int[] c : new int[][] {{1, 20, 37, 2, 2, 33}, {2, 17, 17, 1, 3, 70}, {1, 33, 50, 4, 1, 5}, {1, 64, 64, 1, 8, 16}}) {
            int b = c[0], t = c[1], sl = c[2], hkv = c[3], group = c[4], d = c[5];
            Tensor q = RandomViews.random(r, b, t, hkv * group, d);
            Tensor k = RandomViews.random(r, b, sl, hkv, d), v = RandomViews.random(r, b, sl, hkv, d);
            for (boolean causal : new boolean[] {true, false})
                checkAttention(V, q, k, v, 0.2f, causal, java.util.Arrays.toString(c));
        }
    }

    @Test
    void attentionDoesNotDependOnTheThreadCount() {
        // the work split changes with threads (whole GQA groups per task, or single heads when kv heads are few)
        Tensor k = Tensor.randn(1, 1f, 1, 120, 2, 40), v = Tensor.randn(2, 1f, 1, 120, 2, 40);
        for (int t : new int[] {1, 5, 24}) {
            Tensor q = Tensor.randn(3 + t, 1f, 1, t, 8, 40);
            Tensor one = new VectorKernels(1).attention(q, k, v, 0.15f, true);
            for (int threads : new int[] {2, 3, 16})
                Close.exact(one, new VectorKernels(threads).attention(q, k, v, 0.15f, true), "T=" + t + " with " + threads + " threads");
        }
    }

    @Test
    void attentionWithOneKeyReturnsItsValue() {
        qt().withExamples(40).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int b = r.nextInt(1, 3), hkv = r.nextInt(1, 3), group = r.nextInt(1, 4), d = RandomViews.dim(r, 70);
            Tensor q = RandomViews.random(r, b, 1, hkv * group, d);
            Tensor k = RandomViews.random(r, b, 1, hkv, d), v = RandomViews.random(r, b, 1, hkv, d);
            for (Kernels kern : new Kernels[] {S, V}) {
                Tensor out = kern.attention(q, k, v, 0.3f, r.nextBoolean());
                for (int bi = 0; bi < b; bi++)
                    for (int h = 0; h < hkv * group; h++)
                        for (int i = 0; i < d; i++)
                            assertEquals(v.get(bi, 0, h / group, i), out.get(bi, 0, h, i), kern.name() + ": head " + h + " reads kv head " + h / group);
            }
        });
    }

    @Test
    void causalAttentionIgnoresFutureKeys() {
        // changing keys/values after a query's position must not change that query's output
        Tensor q = Tensor.randn(1, 1f, 1, 6, 4, 16), k = Tensor.randn(2, 1f, 1, 6, 2, 16), v = Tensor.randn(3, 1f, 1, 6, 2, 16);
        Tensor k2 = k.copy(), v2 = v.copy();
        k2.narrow(1, 4, 2).fill(9f);
        v2.narrow(1, 4, 2).fill(-9f);
        Tensor a = V.attention(q, k, v, 0.25f, true), b = V.attention(q, k2, v2, 0.25f, true);
        Close.exact(a.narrow(1, 0, 4), b.narrow(1, 0, 4), "positions 0..3 do not see keys 4, 5");
        assertNotEquals(a.get(0, 5, 0, 0), b.get(0, 5, 0, 0));
    }
}
