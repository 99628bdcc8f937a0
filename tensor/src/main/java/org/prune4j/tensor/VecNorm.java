package org.prune4j.tensor;

import static org.prune4j.tensor.VecMath.F;
import static org.prune4j.tensor.VecMath.L;

import jdk.incubator.vector.FloatVector;

/**
 * RMSNorm (Llama) and LayerNorm over the last dim. Statistics accumulate in float vectors (as Llama's
 * F32 RMSNorm does); the per-row scale 1/sqrt(.. + eps) is taken in double; rows run in parallel.
 */
final class VecNorm {
    private VecNorm() {}

    static Tensor rmsNorm(int threads, Tensor x, Tensor weight, float eps) {
        ScalarKernels.checkNormParam("rmsNorm", x, weight);
        float[] out = new float[Shapes.checkedArrayLength(x.shape())]; // [.., C]
        int c = x.rank() == 0 ? 1 : x.size(-1);
        if (out.length == 0) return Tensor.of(out, x.shape());
        Tensor xd = x.toF32();
        float[] xa = xd.array();
        int xo = (int) xd.offset();
        float[] w = weight == null ? ones(c) : weight.toFloatArray(); // [C]; times 1 is exact
        Parallel.forRange(threads, out.length / c, Math.max(1, Broadcast.GRAIN / c), (from, to) -> {
            for (int r = (int) from; r < to; r++) {
                int src = xo + r * c, dst = r * c;
                float inv = (float) (1.0 / Math.sqrt((double) VecMath.sumSquares(xa, src, c) / c + eps));
                int i = 0;
                for (int bound = F.loopBound(c); i < bound; i += L)
                    FloatVector.fromArray(F, xa, src + i).mul(inv).mul(FloatVector.fromArray(F, w, i)).intoArray(out, dst + i);
                for (; i < c; i++) out[dst + i] = xa[src + i] * inv * w[i];
            }
        });
        return Tensor.of(out, x.shape());
    }

    /**
     * {dx, d weight} of rmsNorm from dy, one pass per row: r = 1/sqrt(mean(x^2) + eps) as the forward takes it,
     * g = dy w, dx = r (g - x r mean(g x r)); d weight sums dy x r over rows. Rows go in fixed chunks (of the shape, not
     * the thread count) with one partial d weight each, added in chunk order: the same bits on any number of threads.
     */
    static Tensor[] rmsNormBackward(int threads, Tensor x, Tensor weight, Tensor dy, float eps) {
        ScalarKernels.checkNormParam("rmsNorm backward", x, weight);
        Shapes.requireSame("rmsNorm backward: gradient vs input", x.shape(), dy.shape());
        float[] dx = new float[Shapes.checkedArrayLength(x.shape())]; // [.., C]
        int c = x.rank() == 0 ? 1 : x.size(-1);
        float[] dw = weight == null ? null : new float[c];
        Tensor[] result = {Tensor.of(dx, x.shape()), dw == null ? null : Tensor.of(dw, c)};
        if (dx.length == 0) return result;
        Tensor xd = x.toF32(), dd = dy.toF32();
        float[] xa = xd.array(), da = dd.array();
        int xo = (int) xd.offset(), dof = (int) dd.offset();
        float[] w = weight == null ? ones(c) : weight.toFloatArray(); // [C]
        int rows = dx.length / c, chunkRows = (int) Math.max(1, Broadcast.GRAIN / c), chunks = (rows + chunkRows - 1) / chunkRows;
        float[][] partial = new float[dw == null ? 0 : chunks][];
        Parallel.forRange(threads, chunks, 1, (from, to) -> {
            float[] g = new float[c];
            for (int ch = (int) from; ch < to; ch++) {
                float[] pw = dw == null ? null : (partial[ch] = new float[c]);
                for (int r = ch * chunkRows, end = Math.min(rows, r + chunkRows); r < end; r++) {
                    int src = xo + r * c, ds = dof + r * c, dst = r * c;
                    float inv = (float) (1.0 / Math.sqrt((double) VecMath.sumSquares(xa, src, c) / c + eps));
                    FloatVector acc = FloatVector.zero(F);
                    int i = 0;
                    for (int bound = F.loopBound(c); i < bound; i += L) {
                        FloatVector dv = FloatVector.fromArray(F, da, ds + i), xh = FloatVector.fromArray(F, xa, src + i).mul(inv);
                        FloatVector gv = dv.mul(FloatVector.fromArray(F, w, i));
                        gv.intoArray(g, i);
                        acc = gv.fma(xh, acc);
                        if (pw != null) dv.fma(xh, FloatVector.fromArray(F, pw, i)).intoArray(pw, i);
                    }
                    float dot = Lanes.sum(acc);
                    for (; i < c; i++) {
                        float xh = xa[src + i] * inv, gi = da[ds + i] * w[i];
                        g[i] = gi;
                        dot = Math.fma(gi, xh, dot);
                        if (pw != null) pw[i] = Math.fma(da[ds + i], xh, pw[i]);
                    }
                    float proj = dot / c;
                    i = 0;
                    for (int bound = F.loopBound(c); i < bound; i += L) {
                        FloatVector xh = FloatVector.fromArray(F, xa, src + i).mul(inv);
                        FloatVector.fromArray(F, g, i).sub(xh.mul(proj)).mul(inv).intoArray(dx, dst + i);
                    }
                    for (; i < c; i++) dx[dst + i] = (g[i] - xa[src + i] * inv * proj) * inv;
                }
            }
        });
        if (dw != null)
            for (float[] pw : partial)
                for (int i = 0; i < c; i++) dw[i] += pw[i];
        return result;
    }

    static Tensor layerNorm(int threads, Tensor x, Tensor weight, Tensor bias, float eps) {
        ScalarKernels.checkNormParam("layerNorm", x, weight);
        ScalarKernels.checkNormParam("layerNorm", x, bias);
        float[] out = new float[Shapes.checkedArrayLength(x.shape())]; // [.., C]
        int c = x.rank() == 0 ? 1 : x.size(-1);
        if (out.length == 0) return Tensor.of(out, x.shape());
        Tensor xd = x.toF32();
        float[] xa = xd.array();
        int xo = (int) xd.offset();
        float[] w = weight == null ? ones(c) : weight.toFloatArray(), b = bias == null ? new float[c] : bias.toFloatArray(); // [C]
        Parallel.forRange(threads, out.length / c, Math.max(1, Broadcast.GRAIN / c), (from, to) -> {
            for (int r = (int) from; r < to; r++) {
                int src = xo + r * c, dst = r * c;
                float mean = VecMath.sum(xa, src, c) / c;
                float var = VecMath.sumSquaredDeviations(xa, src, c, mean) / c; // two-pass: no E[x^2] - E[x]^2 cancellation
                float inv = (float) (1.0 / Math.sqrt((double) var + eps));
                int i = 0;
                for (int bound = F.loopBound(c); i < bound; i += L)
                    FloatVector.fromArray(F, xa, src + i).sub(mean).mul(inv)
                            .fma(FloatVector.fromArray(F, w, i), FloatVector.fromArray(F, b, i)).intoArray(out, dst + i);
                for (; i < c; i++) out[dst + i] = Math.fma((xa[src + i] - mean) * inv, w[i], b[i]);
            }
        });
        return Tensor.of(out, x.shape());
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }
}
