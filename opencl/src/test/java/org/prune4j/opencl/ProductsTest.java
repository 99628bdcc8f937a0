package org.prune4j.opencl;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.ShapeException;
import org.prune4j.tensor.Tensor;

/** matmul (GEMM, GEMV) and attention on the device against the oracle, over random shapes. */
@ExtendWith(OpenCLSession.class)
class ProductsTest {
    private static final ScalarKernels ORACLE = ScalarKernels.INSTANCE;

    /**
     * |c - c_oracle| <= (K + 1) u sum_k |a_ik b_kj|: the classic bound for a float32 dot product of length K
     * (gamma_K, fma or not, in any order) plus the oracle's own final rounding.
     */
    static Close.Bound dotBound(Tensor absProduct, int k) {
        float[] s = absProduct.toFloatArray();
        return (i, e) -> (k + 1) * Close.U * s[i] * 1.0001 + Float.MIN_NORMAL;
    }

    /** The kernel OpenCLKernels picks: GEMV kernels for 1-2 rows (gemv when b is stored transposed), else the tiled GEMM. */
    static String kernelFor(int m, Tensor b) {
        if (m > 2) return "gemm";
        return b.transpose(-2, -1).isContiguous() ? "gemv" : "gemvN";
    }

    static Tensor abs(Tensor t) {
        return ORACLE.unary(org.prune4j.tensor.UnaryOp.ABS, t);
    }

    @Test
    void gemmMatchesOracleOverRandomShapes(OpenCLKernels k) {
        // m, k, n cross the 64-wide tiles and the 16-deep k steps, including sizes that are not multiples of either
        qt().withExamples(30).forAll(integers().between(3, 150), integers().between(1, 150), integers().between(1, 150), integers().between(0, 1 << 20))
                .checkAssert((m, kk, n, seed) -> {
                    Tensor a = Tensor.randn(seed, 1, m, kk), b = Tensor.randn(seed + 1, 1, kk, n);
                    Tensor c = Ran.on(k, kernelFor(m, b), () -> k.matmul(a, b));
                    Close.within(ORACLE.matmul(a, b), c, dotBound(ORACLE.matmul(abs(a), abs(b)), kk), "gemm " + m + "x" + kk + "x" + n);
                });
    }

    @Test
    void transposedAndStridedOperands(OpenCLKernels k) {
        qt().withExamples(20).forAll(integers().between(1, 90), integers().between(1, 90), integers().between(1, 90), booleans().all())
                .checkAssert((m, kk, n, viaT) -> {
                    // a is a transposed view, b a transposed contiguous matrix (the [out, in] weight layout: bT kernel path)
                    Tensor a = Tensor.randn(m + 7L * kk, 1, kk, m).t();
                    Tensor w = Tensor.randn(n + 3L * kk, 1, n, kk);
                    Tensor b = viaT ? w.t() : w.t().contiguous();
                    String kernel = kernelFor(m, b);
                    Tensor c = Ran.on(k, kernel, () -> k.matmul(a, b));
                    Close.within(ORACLE.matmul(a, b), c, dotBound(ORACLE.matmul(abs(a), abs(b)), kk), kernel + " " + m + "x" + kk + "x" + n);
                });
    }

    @Test
    void gemvForOneOrTwoRows(OpenCLKernels k) {
        qt().withExamples(20).forAll(integers().between(1, 2), integers().between(1, 300), integers().between(1, 130), integers().between(0, 1 << 20))
                .checkAssert((m, kk, n, seed) -> {
                    Tensor x = Tensor.randn(seed, 1, m, kk), w = Tensor.randn(seed + 1, 1, n, kk);
                    Tensor c = Ran.on(k, kernelFor(m, w.t()), () -> k.matmul(x, w.t()));
                    Close.within(ORACLE.matmul(x, w.t()), c, dotBound(ORACLE.matmul(abs(x), abs(w).t()), kk), "gemv " + m + "x" + kk + "x" + n);
                    Tensor b = Tensor.randn(seed + 2, 1, kk, n);   // b as is: [k, n] row-major
                    Tensor c2 = Ran.on(k, kernelFor(m, b), () -> k.matmul(x, b));
                    Close.within(ORACLE.matmul(x, b), c2, dotBound(ORACLE.matmul(abs(x), abs(b)), kk), "gemvN " + m + "x" + kk + "x" + n);
                });
    }

    @Test
    void batchedWithBroadcastBatchDims(OpenCLKernels k) {
        qt().withExamples(15).forAll(integers().between(1, 3), integers().between(1, 4), integers().between(1, 70), integers().between(1, 70))
                .checkAssert((b0, b1, m, n) -> {
                    int kk = 1 + (m * 7 + n) % 80;
                    Tensor a = Tensor.randn(m, 1, b0, 1, m, kk);         // [b0, 1, m, k]
                    Tensor b = Tensor.randn(n, 1, b1, kk, n);            // [b1, k, n] -> broadcast to [b0, b1, k, n]
                    Tensor c = Ran.on(k, kernelFor(m, b), () -> k.matmul(a, b));
                    Close.within(ORACLE.matmul(a, b), c, dotBound(ORACLE.matmul(abs(a), abs(b)), kk), "batched gemm");
                    // a plain matrix against a batch: [m, k] @ [b1, k, n] ([k, n] transposed per batch: bT path)
                    Tensor a2 = Tensor.randn(m + 1, 1, m, kk), bt = Tensor.randn(n + 1, 1, b1, n, kk).transpose(-2, -1);
                    Tensor c2 = k.matmul(a2, bt);
                    Close.within(ORACLE.matmul(a2, bt), c2, dotBound(ORACLE.matmul(abs(a2), abs(bt)), kk), "broadcast a against batched b^T");
                });
    }

    @Test
    void bf16AndF16Operands(OpenCLKernels k) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor a = Tensor.randn(1, 1, 33, 70).to(DType.BF16, arena), w = Tensor.randn(2, 1, 65, 70).to(DType.F16, arena);
            Tensor c = Ran.on(k, kernelFor(33, w.t()), () -> k.matmul(a, w.t()));
            Close.within(ORACLE.matmul(a, w.t()), c, dotBound(ORACLE.matmul(abs(a), abs(w).t()), 70), "bf16 @ f16^T");
        }
    }

    @Test
    void emptyAndInvalidShapes(OpenCLKernels k) {
        Close.exact(ORACLE.matmul(Tensor.zeros(0, 4), Tensor.zeros(4, 3)), k.matmul(Tensor.zeros(0, 4), Tensor.zeros(4, 3)), "empty m");
        Close.exact(ORACLE.matmul(Tensor.zeros(2, 0), Tensor.zeros(0, 3)), k.matmul(Tensor.zeros(2, 0), Tensor.zeros(0, 3)), "empty k");
        assertThrows(ShapeException.class, () -> k.matmul(Tensor.zeros(2, 3), Tensor.zeros(4, 5)));
        assertThrows(ShapeException.class, () -> k.attention(Tensor.zeros(1, 2, 3, 4), Tensor.zeros(1, 2, 2, 4), Tensor.zeros(1, 2, 2, 4), 1f, true));
    }

    /**
     * Bound for attention: with e_j = (D + 1) u |scale| sum_d |q_d k_jd| the error of score j, the softmax weights
     * carry relative errors up to eps = max_j (e_j + |s_j - max| u) + 3 ulp (exp) per rescale of the online softmax
     * (one per 64-key chunk); numerator and denominator each add S u, and their ratio moves by at most
     * 2 (eps + S u) max_j |v_j| (plus the division's 2.5 ulp).
     */
    static Close.Bound attentionBound(Tensor q, Tensor kk, Tensor v, float scale, boolean causal) {
        int b = q.size(0), t = q.size(1), h = q.size(2), d = q.size(3), s = kk.size(1), hkv = kk.size(2);
        int group = h / hkv;
        double[] bound = new double[(int) q.numel()];
        for (int bi = 0; bi < b; bi++)
            for (int ti = 0; ti < t; ti++)
                for (int hi = 0; hi < h; hi++) {
                    int kh = hi / group, visible = causal ? s - t + ti + 1 : s;
                    double[] sc = new double[visible];
                    double mx = Double.NEGATIVE_INFINITY, eps = 0, vmax = 0;
                    for (int j = 0; j < visible; j++) {
                        double dot = 0, absDot = 0;
                        for (int di = 0; di < d; di++) {
                            double p = (double) q.get(bi, ti, hi, di) * kk.get(bi, j, kh, di);
                            dot += p;
                            absDot += Math.abs(p);
                        }
                        sc[j] = dot * scale;
                        mx = Math.max(mx, sc[j]);
                        eps = Math.max(eps, (d + 1) * Close.U * Math.abs(scale) * absDot);
                        for (int di = 0; di < d; di++) vmax = Math.max(vmax, Math.abs(v.get(bi, j, kh, di)));
                    }
                    double spread = 0;
                    for (int j = 0; j < visible; j++) spread = Math.max(spread, (mx - sc[j]) * Close.U);
                    int chunks = (visible + 63) / 64;
                    double rel = eps + spread + 6 * Close.U * (chunks + 1) + visible * Close.U;
                    double bnd = 2 * rel * vmax + 5 * Close.U * vmax + Float.MIN_NORMAL;
                    for (int di = 0; di < d; di++) bound[((bi * t + ti) * h + hi) * d + di] = bnd;
                }
        return (i, e) -> bound[i];
    }

    @Test
    void attentionMatchesOracleWithGroupedHeads(OpenCLKernels k) {
        // S crosses the 64-key chunks, D crosses the 64 output dims per pass; H = Hkv * group (MHA, GQA, MQA)
        qt().withExamples(25).forAll(integers().between(1, 9), integers().between(0, 140), integers().between(1, 80), integers().between(0, 1 << 20))
                .checkAssert((t, extra, d, seed) -> {
                    int s = t + extra, hkv = 1 + seed % 3, group = 1 + (seed / 3) % 3, b = 1 + (seed / 9) % 2;
                    boolean causal = (seed & 1024) == 0;
                    int h = hkv * group;
                    float scale = (float) (1 / Math.sqrt(d));
                    Tensor q = Tensor.randn(seed, 1, b, t, h, d), kk = Tensor.randn(seed + 1, 1, b, s, hkv, d), v = Tensor.randn(seed + 2, 1, b, s, hkv, d);
                    Tensor o = Ran.on(k, "attention", () -> k.attention(q, kk, v, scale, causal));
                    Close.within(ORACLE.attention(q, kk, v, scale, causal), o, attentionBound(q, kk, v, scale, causal),
                            "attention B" + b + " T" + t + " S" + s + " H" + h + " Hkv" + hkv + " D" + d + (causal ? " causal" : " full"));
                });
    }

    @Test
    void attentionOnStridedViews(OpenCLKernels k) {
        // q, k, v as the model produces them: [B, H, T, D] tensors transposed to [B, T, H, D] views
        Tensor q = Tensor.randn(1, 1, 2, 4, 5, 16).transpose(1, 2), kk = Tensor.randn(2, 1, 2, 2, 9, 16).transpose(1, 2),
                v = Tensor.randn(3, 1, 2, 2, 9, 16).transpose(1, 2);
        Tensor o = Ran.on(k, "attention", () -> k.attention(q, kk, v, 0.25f, true));
        Close.within(ORACLE.attention(q, kk, v, 0.25f, true), o, attentionBound(q, kk, v, 0.25f, true), "attention on views");
    }
}
