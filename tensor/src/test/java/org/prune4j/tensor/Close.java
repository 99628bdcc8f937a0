package org.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.IntToDoubleFunction;

/** Comparisons of kernel results with the oracle: bit-exact, within n ulp, or within a per-element bound. */
public final class Close {
    private Close() {}

    /** Unit roundoff of float (half an ulp of 1): the relative error of one correctly rounded operation. */
    public static final double U = Math.ulp(1f) / 2;

    /** Same shape and the same bits (NaN payloads aside; -0 and +0 differ). */
    public static void exact(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++)
            if (Float.floatToIntBits(e[i]) != Float.floatToIntBits(a[i]))
                fail(what + ": element " + i + " is " + a[i] + ", oracle " + e[i] + " (bit-exact expected)");
    }

    /**
     * Within {@code ulps} units in the last place of the oracle's value (NaN matches NaN, infinities must match).
     * Where the oracle's result is subnormal (below 2^-126), any result of magnitude at most 2^-126 is accepted:
     * subnormals are where vector math libraries flush or lose bits (silu(-100) is -3.7e-42 in double, but
     * e^100 overflows float, giving -0), and they are far below any meaningful activation.
     */
    public static void ulps(Tensor expected, Tensor actual, double ulps, String what) {
        ulps(expected, actual, i -> ulps, what);
    }

    /** As {@link #ulps(Tensor, Tensor, double, String)} with a per-element allowance. */
    public static void ulps(Tensor expected, Tensor actual, IntToDoubleFunction ulps, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            if (Float.isNaN(e[i]) || Float.isNaN(a[i]) || Float.isInfinite(e[i]) || Float.isInfinite(a[i])) {
                if (Float.compare(e[i], a[i]) != 0 && !(Float.isNaN(e[i]) && Float.isNaN(a[i])))
                    fail(what + ": element " + i + " is " + a[i] + ", oracle " + e[i]);
                continue;
            }
            if (Math.abs(e[i]) < Float.MIN_NORMAL && Math.abs(a[i]) <= Float.MIN_NORMAL) continue; // subnormal: see above
            double unit = Math.ulp(e[i]);
            double err = Math.abs((double) a[i] - e[i]) / unit;
            if (!(err <= ulps.applyAsDouble(i)))
                fail(what + ": element " + i + " is " + a[i] + ", oracle " + e[i] + ": " + err + " ulp > " + ulps.applyAsDouble(i));
        }
    }

    /** |actual - expected| <= bound(i) for every element (NaN matches NaN). */
    public static void within(Tensor expected, Tensor actual, IntToDoubleFunction bound, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            if (Float.isNaN(e[i]) && Float.isNaN(a[i])) continue;
            if (e[i] == a[i]) continue; // also equal infinities
            double err = Math.abs((double) a[i] - e[i]);
            if (!(err <= bound.applyAsDouble(i)))
                fail(what + ": element " + i + " is " + a[i] + ", oracle " + e[i] + ": error " + err + " > bound " + bound.applyAsDouble(i));
        }
    }
}
