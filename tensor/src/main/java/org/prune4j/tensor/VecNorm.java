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
