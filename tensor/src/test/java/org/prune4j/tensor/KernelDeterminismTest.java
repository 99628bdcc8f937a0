package org.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.function.Supplier;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The same op on the same input gives the same bits on its first call (interpreted) and after the JIT compiled it
 * (prune4j promises identical output bytes for identical input). Vector API float reductions and lanewise(EXP)
 * broke this: their interpreted and compiled forms round differently.
 */
class KernelDeterminismTest {
    static final VectorKernels K = new VectorKernels(2);

    static void sameBitsEveryCall(String what, Supplier<Tensor> op) {
        float[] first = op.get().toFloatArray();
        for (int it = 1; it < 2000; it++) {
            float[] again = op.get().toFloatArray();
            if (!Arrays.equals(first, again)) fail(what + " changed its result at call " + it + " (JIT tier change)");
        }
    }

    @Test
    void kernelsGiveTheSameBitsBeforeAndAfterCompilation() {
        Tensor x = Tensor.randn(1, 3f, 2, 16, 40), w = Tensor.randn(2, 1f, 24, 40), nw = Tensor.randn(3, 1f, 40);
        Tensor q = Tensor.randn(4, 1f, 2, 16, 4, 8), k = Tensor.randn(5, 1f, 2, 16, 2, 8), v = Tensor.randn(6, 1f, 2, 16, 2, 8);
        Tensor x2 = x.reshape(32, 40);
        sameBitsEveryCall("attention", () -> K.attention(q, k, v, 0.35f, true));
        sameBitsEveryCall("softmax", () -> K.softmax(x));
        sameBitsEveryCall("logSoftmax", () -> K.logSoftmax(x));
        sameBitsEveryCall("rmsNorm", () -> K.rmsNorm(x, nw, 1e-5f));
        sameBitsEveryCall("swiglu", () -> K.swiglu(x, x2.reshape(2, 16, 40)));
        sameBitsEveryCall("exp", () -> K.unary(UnaryOp.EXP, x));
        sameBitsEveryCall("gemv", () -> K.linear(x2.narrow(0, 0, 1), w, null));
        Tensor wide = Tensor.randn(7, 1f, 64, 256), xw = Tensor.randn(8, 1f, 1, 256);
        sameBitsEveryCall("gemv 8 rows at a time", () -> K.linear(xw, wide, null));
        sameBitsEveryCall("gemv bf16", () -> K.linear(xw, wide.to(DType.BF16, java.lang.foreign.Arena.ofAuto()), null));
        sameBitsEveryCall("sum", () -> K.sum(x, -1, false));
    }

    @Test
    void vectorExpIsWithinTwoUlpsOfMathExpAndHandlesTheEdges() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        int l = VecMath.L;
        float[] x = new float[l], y = new float[l];
        for (int it = 0; it < 200_000 / l; it++) {
            for (int i = 0; i < l; i++) x[i] = (float) (r.nextDouble() * 200 - 103);
            VecMath.exp(FloatVector.fromArray(VecMath.F, x, 0)).intoArray(y, 0);
            for (int i = 0; i < l; i++) {
                double e = Math.exp(x[i]);
                // Cephes' expf polynomial: about 1 ulp; subnormal results have a coarser absolute grid (2^-149)
                assertEquals(e, y[i], Math.max(2 * Math.ulp((float) e), 0x1p-149), "exp(" + x[i] + ")");
            }
        }
        float[] edge = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, 88.73f, -200f};
        float[] want = {Float.NaN, Float.POSITIVE_INFINITY, 0f, 1f, Float.POSITIVE_INFINITY, 0f};
        for (int i = 0; i < edge.length; i++) {
            Arrays.fill(x, edge[i]);
            VecMath.exp(FloatVector.fromArray(VecMath.F, x, 0)).intoArray(y, 0);
            assertEquals(want[i], y[0], "exp(" + edge[i] + ")");
        }
    }

    @Test
    void laneSumsAddInOneFixedOrder() {
        float[] a = new float[VecMath.L];
        for (int i = 0; i < a.length; i++) a[i] = i % 2 == 0 ? 1e8f : 1f;
        float[] t = a.clone(); // the butterfly: lane i += lane i ^ d for d = L/2 .. 1, read lane 0
        for (int d = t.length / 2; d >= 1; d /= 2) {
            float[] n = new float[t.length];
            for (int i = 0; i < t.length; i++) n[i] = t[i] + t[i ^ d];
            t = n;
        }
        float expect = t[0];
        assertEquals(expect, Lanes.sum(FloatVector.fromArray(VecMath.F, a, 0)));
    }
}
