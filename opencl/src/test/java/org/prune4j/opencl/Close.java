package org.prune4j.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import org.prune4j.tensor.Tensor;

/**
 * Comparisons of device results with the oracle under per-element error bounds. Every bound is derived from float32
 * rounding (unit roundoff {@link #U} = 2^-24) and the OpenCL 1.2 full-profile accuracy of the built-ins used
 * (exp, log, sqrt: 3 ulp; division 2.5 ulp; tanh 5 ulp; erf, pow 16 ulp), against ScalarKernels, which
 * accumulates in double and rounds once.
 */
final class Close {
    private Close() {}

    /** Unit roundoff of float32. */
    static final double U = 0x1p-24;

    /** Per-element bound on |actual - expected|. */
    interface Bound {
        double at(int i, float expected);
    }

    static void within(Tensor expected, Tensor actual, Bound bound, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < e.length; i++) {
            if (Float.isNaN(e[i]) || Float.isNaN(a[i])) {
                if (Float.isNaN(e[i]) != Float.isNaN(a[i])) fail(what + ": element " + i + " is " + a[i] + ", oracle " + e[i]);
                continue;
            }
            if (Float.isInfinite(e[i]) || Float.isInfinite(a[i])) {
                if (e[i] != a[i]) fail(what + ": element " + i + " is " + a[i] + ", oracle " + e[i]);
                continue;
            }
            double err = Math.abs((double) a[i] - e[i]);
            double b = bound.at(i, e[i]);
            if (err > b) {
                double r = err / b;
                if (r > worstRatio) { worstRatio = r; worst = i; }
            }
        }
        if (worst >= 0)
            fail(what + ": element " + worst + " of " + Arrays.toString(expected.shape()) + " is " + a[worst] + ", oracle " + e[worst]
                    + ", error " + Math.abs((double) a[worst] - e[worst]) + " exceeds the bound " + bound.at(worst, e[worst]) + " by " + worstRatio + "x");
    }

    /** Bit-for-bit equal (ops that are one correctly rounded IEEE operation on both sides, or pure selection). */
    static void exact(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++)
            if (Float.floatToIntBits(e[i]) != Float.floatToIntBits(a[i]) && !(e[i] == a[i]))
                assertEquals(e[i], a[i], 0f, what + ": element " + i);
    }

    /**
     * {@code n} ulps of the expected value, plus the smallest normal float: OpenCL lets single-precision
     * arithmetic flush subnormal results to zero (most GPUs do).
     */
    static Bound ulps(double n) {
        return (i, e) -> n * Math.ulp(e) + Float.MIN_NORMAL;
    }

    /** Like {@link #ulps(double)} with a per-element ulp count. */
    static Bound ulps(java.util.function.IntToDoubleFunction n) {
        return (i, e) -> n.applyAsDouble(i) * Math.ulp(e) + Float.MIN_NORMAL;
    }
}
