package org.prune4j.tensor;

import static org.prune4j.tensor.VecMath.F;
import static org.prune4j.tensor.VecMath.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Softmax and log-softmax over the last dim, the stable way: subtract the row max, exponentiate, sum.
 * Three vector passes per row (max; exp and sum; scale); rows run in parallel.
 */
final class VecSoftmax {
    private VecSoftmax() {}

    static Tensor softmax(int threads, Tensor a, boolean log) {
        float[] out = new float[Shapes.checkedArrayLength(a.shape())]; // [.., C]
        int cols = a.rank() == 0 ? 1 : a.size(-1);
        if (out.length == 0) return Tensor.of(out, a.shape());
        Tensor x = a.toF32();
        float[] xa = x.array();
        int xo = (int) x.offset();
        int rows = out.length / cols;
        Parallel.forRange(threads, rows, Math.max(1, Broadcast.GRAIN / cols), (from, to) -> {
            for (int r = (int) from; r < to; r++) {
                if (log) logSoftmaxRow(xa, xo + r * cols, out, r * cols, cols);
                else softmaxRow(xa, xo + r * cols, out, r * cols, cols);
            }
        });
        return Tensor.of(out, a.shape());
    }

    /** out[o..o+n) = softmax(x[ix..ix+n)); also what attention uses on its score rows (x may equal out). */
    static void softmaxRow(float[] x, int ix, float[] out, int o, int n) {
        float max = VecMath.max(x, ix, n);
        float sum = expShiftedInto(x, ix, max, out, o, n);
        VecMath.scale(out, o, n, 1f / sum);
    }

    /** out[o+j] = e^(x[ix+j] - max); returns the sum of those values. */
    static float expShiftedInto(float[] x, int ix, float max, float[] out, int o, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector e = FloatVector.fromArray(F, x, ix + i).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(out, o + i);
            acc = acc.add(e);
        }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector e = FloatVector.fromArray(F, x, ix + i, m).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(out, o + i, m);
            acc = acc.add(e, m);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** out = x - max - log(sum e^(x - max)). */
    static void logSoftmaxRow(float[] x, int ix, float[] out, int o, int n) {
        float max = VecMath.max(x, ix, n);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L)
            acc = acc.add(FloatVector.fromArray(F, x, ix + i).sub(max).lanewise(VectorOperators.EXP));
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            acc = acc.add(FloatVector.fromArray(F, x, ix + i, m).sub(max).lanewise(VectorOperators.EXP), m);
        }
        float logSum = (float) Math.log(acc.reduceLanes(VectorOperators.ADD));
        i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L)
            FloatVector.fromArray(F, x, ix + i).sub(max).sub(logSum).intoArray(out, o + i);
        for (; i < n; i++) out[o + i] = (x[ix + i] - max) - logSum;
    }
}
