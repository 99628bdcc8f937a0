package org.prune4j.opencl;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.prune4j.tensor.ReduceOp;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.ShapeException;
import org.prune4j.tensor.Tensor;

/** Last-dim row ops (softmax, norms, rope) and reductions on the device against the oracle. */
@ExtendWith(OpenCLSession.class)
class RowOpsTest {
    private static final ScalarKernels ORACLE = ScalarKernels.INSTANCE;
    private static final double U = Close.U;

    /** Rows of random values, scaled so exp() spans a wide range, with some -inf entries (masked logits). */
    static Tensor logits(int seed, int rows, int cols) {
        Tensor t = Tensor.randn(seed, 4, rows, cols);
        for (int r = 0; r < rows; r++) if (cols > 1 && (seed + r) % 3 == 0) t.set(Float.NEGATIVE_INFINITY, r, (seed + r) % cols);
        return t;
    }

    static float[] rowMax(Tensor t) {
        int cols = t.size(-1), rows = (int) (t.numel() / cols);
        float[] v = t.toFloatArray(), m = new float[rows];
        for (int r = 0; r < rows; r++) {
            float x = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) x = Math.max(x, v[r * cols + j]);
            m[r] = x;
        }
        return m;
    }

    @Test
    void softmaxAndLogSoftmax(OpenCLKernels k) {
        // cols cross the 128-wide work-group, rows are independent work-groups
        qt().withExamples(25).forAll(integers().between(1, 20), integers().between(1, 400), integers().between(0, 1 << 20))
                .checkAssert((rows, cols, seed) -> {
                    Tensor x = logits(seed, rows, cols);
                    float[] xv = x.toFloatArray(), mx = rowMax(x);
                    // p_i = exp(x_i - m) / s: the rounding of x_i - m is amplified by exp into |x_i - m| u; exp 3 ulp,
                    // the sum of cols terms cols u, the division 2.5 ulp (1 ulp <= 2u): relative bound below
                    Close.within(ORACLE.softmax(x), Ran.on(k, "softmax", () -> k.softmax(x)),
                            (i, e) -> (Math.abs(xv[i] - mx[i / cols]) + cols + 12) * U * Math.abs(e) + Float.MIN_NORMAL, "softmax " + rows + "x" + cols);
                    // log p_i = (x_i - m) - log s: absolute errors |x_i - m| u + (cols u + 3 ulp of log s) + rounding of the result
                    Close.within(ORACLE.logSoftmax(x), Ran.on(k, "softmax", () -> k.logSoftmax(x)),
                            (i, e) -> (Math.abs(xv[i] - mx[i / cols]) + cols + 8 + 2 * Math.abs(e)) * U + Float.MIN_NORMAL, "logSoftmax " + rows + "x" + cols);
                });
    }

    @Test
    void rmsNormAndLayerNorm(OpenCLKernels k) {
        qt().withExamples(25).forAll(integers().between(1, 12), integers().between(1, 300), booleans().all(), integers().between(0, 1 << 20))
                .checkAssert((rows, cols, withParams, seed) -> {
                    // an offset mean makes layer norm's x - mean cancel
                    Tensor x = ORACLE.scalarOp(org.prune4j.tensor.BinaryOp.ADD, Tensor.randn(seed, 2, rows, cols), 3f);
                    Tensor w = withParams ? Tensor.randn(seed + 1, 1, cols) : null, b = withParams ? Tensor.randn(seed + 2, 1, cols) : null;
                    // rms: the sum of squares has relative error cols u, 1/sqrt(.) adds half of it plus 3 + 2.5 ulp,
                    // the two products 1 u each: relative bound (cols + 12) u of the result
                    Close.within(ORACLE.rmsNorm(x, w, 1e-5f), Ran.on(k, "rmsNorm", () -> k.rmsNorm(x, w, 1e-5f)),
                            (i, e) -> (cols + 12) * U * Math.abs(e) + Float.MIN_NORMAL, "rmsNorm " + rows + "x" + cols);
                    // layer norm: x - mean cancels; the mean's absolute error (cols u mean|x|) scales by 1/std and |w|
                    Tensor ref = ORACLE.layerNorm(x, w, b, 1e-5f);
                    Tensor absX = ORACLE.unary(org.prune4j.tensor.UnaryOp.ABS, x);
                    float[] meanAbs = ORACLE.mean(absX, -1, false).toFloatArray();
                    Tensor std = ORACLE.unary(org.prune4j.tensor.UnaryOp.SQRT, ORACLE.scalarOp(org.prune4j.tensor.BinaryOp.ADD,
                            ORACLE.mean(ORACLE.unary(org.prune4j.tensor.UnaryOp.SQUARE, ORACLE.sub(x, ORACLE.mean(x, -1, true))), -1, false), 1e-5f));
                    float[] sd = std.toFloatArray(), wv = w == null ? null : w.toFloatArray(), bv = b == null ? null : b.toFloatArray();
                    Close.within(ref, Ran.on(k, "layerNorm", () -> k.layerNorm(x, w, b, 1e-5f)),
                            (i, e) -> {
                                int r = i / cols, j = i % cols;
                                double wj = wv == null ? 1 : Math.abs(wv[j]);
                                return (cols + 12) * U * (Math.abs(e) + wj * meanAbs[r] / sd[r] + (bv == null ? 0 : Math.abs(bv[j]))) + Float.MIN_NORMAL;
                            }, "layerNorm " + rows + "x" + cols);
                });
        assertThrows(ShapeException.class, () -> k.rmsNorm(Tensor.zeros(2, 3), Tensor.zeros(4), 1e-5f));
    }

    @Test
    void ropeBothLayouts(OpenCLKernels k) {
        qt().withExamples(20).forAll(integers().between(1, 9), integers().between(1, 4), integers().between(1, 40), integers().between(0, 1 << 20))
                .checkAssert((t, h, halfD, seed) -> {
                    int d = 2 * halfD, b = 1 + seed % 2;
                    boolean interleaved = (seed & 4) != 0;
                    Tensor x = Tensor.randn(seed, 1, b, t, h, d);
                    Tensor cos = Tensor.uniform(seed + 1, -1, 1, t, halfD), sin = Tensor.uniform(seed + 2, -1, 1, t, halfD);
                    // a cos - b sin: two products and a difference, each rounded once (or fused): 3u of |a cos| + |b sin|
                    float[] sa = ropeMagnitudes(x, cos, sin, interleaved);
                    Close.within(ORACLE.rope(x, cos, sin, interleaved), Ran.on(k, "rope", () -> k.rope(x, cos, sin, interleaved)),
                            (i, e) -> 3 * U * Math.abs(sa[i]) + Float.MIN_NORMAL, "rope T" + t + " H" + h + " D" + d + (interleaved ? " interleaved" : ""));
                });
    }

    /** |a cos| + |b sin| (or |b cos| + |a sin|) for every output element of rope: the scale of its rounding error. */
    static float[] ropeMagnitudes(Tensor x, Tensor cos, Tensor sin, boolean interleaved) {
        int d = x.size(-1), h = x.size(-2), t = x.size(-3), half = d / 2;
        float[] xv = x.toFloatArray(), out = new float[xv.length];
        for (int r = 0; r < xv.length / d; r++) {
            int ti = (r / h) % t;
            for (int i = 0; i < half; i++) {
                int ia = interleaved ? 2 * i : i, ib = interleaved ? 2 * i + 1 : i + half;
                float a = Math.abs(xv[r * d + ia]), b = Math.abs(xv[r * d + ib]), c = Math.abs(cos.get(ti, i)), sn = Math.abs(sin.get(ti, i));
                out[r * d + ia] = a * c + b * sn;
                out[r * d + ib] = b * c + a * sn;
            }
        }
        return out;
    }

    @Test
    void reductionsAlongEveryDim(OpenCLKernels k) {
        qt().withExamples(25).forAll(integers().between(1, 6), integers().between(1, 200), integers().between(1, 5), integers().between(0, 1 << 20))
                .checkAssert((a0, a1, a2, seed) -> {
                    Tensor x = Tensor.randn(seed, 3, a0, a1, a2);
                    int dim = seed % 3;
                    boolean keep = (seed & 8) != 0;
                    int cols = x.size(dim);
                    float[] sumAbs = ORACLE.sum(ORACLE.unary(org.prune4j.tensor.UnaryOp.ABS, x), dim, keep).toFloatArray();
                    for (ReduceOp op : ReduceOp.values()) {
                        Tensor got = Ran.on(k, "reduceRows", () -> k.reduce(op, x, dim, keep));
                        Tensor ref = ORACLE.reduce(op, x, dim, keep);
                        switch (op) {
                            // a float sum of cols terms: (cols - 1) u sum|x| (+ the mean's division)
                            case SUM -> Close.within(ref, got, (i, e) -> (cols + 1) * U * sumAbs[i] + Float.MIN_NORMAL, "sum dim " + dim);
                            case MEAN -> Close.within(ref, got, (i, e) -> (cols + 4) * U * sumAbs[i] / cols + Float.MIN_NORMAL, "mean dim " + dim);
                            // a selection: exact
                            case MAX, MIN -> Close.exact(ref, got, op + " dim " + dim);
                        }
                    }
                });
    }

    @Test
    void reductionEdgeCases(OpenCLKernels k) {
        Tensor x = Tensor.of(new float[] {1, Float.NaN, 3, -2, 5, Float.NEGATIVE_INFINITY}, 2, 3);
        for (ReduceOp op : ReduceOp.values())
            Close.exact(ORACLE.reduce(op, x, 1, true), k.reduce(op, x, 1, true), op + " with NaN and -inf");
        Close.exact(ORACLE.sum(Tensor.zeros(3, 0), 1, false), k.sum(Tensor.zeros(3, 0), 1, false), "sum of an empty dim");
        Close.exact(ORACLE.mean(Tensor.zeros(3, 0), 1, false), k.mean(Tensor.zeros(3, 0), 1, false), "mean of an empty dim");
        assertThrows(ShapeException.class, () -> k.max(Tensor.zeros(3, 0), 1, false));
        Close.exact(ORACLE.softmax(Tensor.full(Float.NEGATIVE_INFINITY, 2, 3)), k.softmax(Tensor.full(Float.NEGATIVE_INFINITY, 2, 3)), "softmax of -inf rows");
        Close.within(ORACLE.softmax(Tensor.scalar(3f)), k.softmax(Tensor.scalar(3f)), Close.ulps(4), "softmax of a scalar");
    }
}
