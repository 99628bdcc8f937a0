package org.prune4j.tensor;

import static org.prune4j.tensor.VecMath.F;
import static org.prune4j.tensor.VecMath.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * Rotary position embedding of x [..., T, H, D] by cos, sin [T, D/2]: each pair (a, b) becomes
 * (a cos - b sin, b cos + a sin). Rotate-half pairs i with i + D/2, so both halves are plain vector loads.
 * Interleaved pairs 2i with 2i+1: a lane swap (a shuffle) turns it into x * cos2 + swap(x) * sin2 with
 * cos2 = (c0, c0, c1, c1, ...) and sin2 = (-s0, s0, -s1, s1, ...) laid out once per call.
 */
final class VecRope {
    private VecRope() {}

    /** Lane i takes lane i ^ 1: swaps neighbours (L is even on every vector shape with more than one float). */
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromOp(F, i -> i ^ 1);

    static Tensor rope(int threads, Tensor x, Tensor cos, Tensor sin, boolean interleaved) {
        RopeShape s = RopeShape.of(x, cos, sin);
        float[] out = new float[Shapes.checkedArrayLength(x.shape())];
        if (out.length == 0) return Tensor.of(out, x.shape());
        int t = s.t(), h = s.h(), d = s.d(), half = d / 2;
        Tensor xd = x.toF32();
        float[] xa = xd.array();
        int xo = (int) xd.offset();
        float[] c = cos.toFloatArray(), sn = sin.toFloatArray(); // [T, D/2]
        int rows = out.length / d;
        long grain = Math.max(1, Broadcast.GRAIN / d);
        if (!interleaved) {
            Parallel.forRange(threads, rows, grain, (from, to) -> {
                for (int r = (int) from; r < to; r++) rotateHalf(xa, xo + r * d, out, r * d, c, sn, ((r / h) % t) * half, half);
            });
        } else {
            float[] c2 = new float[t * d], s2 = new float[t * d]; // [T, D]
            for (int p = 0; p < t * half; p++) {
                c2[2 * p] = c[p];
                c2[2 * p + 1] = c[p];
                s2[2 * p] = -sn[p];
                s2[2 * p + 1] = sn[p];
            }
            Parallel.forRange(threads, rows, grain, (from, to) -> {
                for (int r = (int) from; r < to; r++) rotatePairs(xa, xo + r * d, out, r * d, c2, s2, ((r / h) % t) * d, d);
            });
        }
        return Tensor.of(out, x.shape());
    }

    /** One head row: a = x[..half), b = x[half..). */
    private static void rotateHalf(float[] x, int ix, float[] out, int o, float[] c, float[] s, int cs, int half) {
        int i = 0;
        for (int bound = F.loopBound(half); i < bound; i += L) {
            FloatVector a = FloatVector.fromArray(F, x, ix + i), b = FloatVector.fromArray(F, x, ix + half + i);
            FloatVector cv = FloatVector.fromArray(F, c, cs + i), sv = FloatVector.fromArray(F, s, cs + i);
            a.fma(cv, b.mul(sv).neg()).intoArray(out, o + i);
            b.fma(cv, a.mul(sv)).intoArray(out, o + half + i);
        }
        for (; i < half; i++) {
            float a = x[ix + i], b = x[ix + half + i], cv = c[cs + i], sv = s[cs + i];
            out[o + i] = Math.fma(a, cv, -(b * sv));
            out[o + half + i] = Math.fma(b, cv, a * sv);
        }
    }

    /** One head row with pairs (2i, 2i+1): out = x * c2 + swap(x) * s2. */
    private static void rotatePairs(float[] x, int ix, float[] out, int o, float[] c2, float[] s2, int cs, int d) {
        int i = 0;
        if (L > 1) {
            for (int bound = F.loopBound(d); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, ix + i);
                v.fma(FloatVector.fromArray(F, c2, cs + i), v.rearrange(SWAP_PAIRS).mul(FloatVector.fromArray(F, s2, cs + i)))
                        .intoArray(out, o + i);
            }
        }
        for (; i < d; i += 2) { // a pair never straddles the vector loop's end: it stops at a multiple of L, which is even
            float a = x[ix + i], b = x[ix + i + 1];
            out[o + i] = Math.fma(a, c2[cs + i], b * s2[cs + i]);
            out[o + i + 1] = Math.fma(b, c2[cs + i + 1], a * s2[cs + i + 1]);
        }
    }
}
