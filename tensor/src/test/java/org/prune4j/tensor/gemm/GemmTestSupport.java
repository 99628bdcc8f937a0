package org.prune4j.tensor.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;

/**
 * Shared oracle comparison for the product tests.
 *
 * <p>Tolerance: a float sum of K products computed in any order (FMA chains, lane partial sums, k slabs added into
 * C) differs from the exact sum by at most (K-1)·u·Σ|a_ik||b_kj| to first order (Higham, Accuracy and Stability,
 * §3.1), u = 2^-24; the oracle sums in double and rounds once, adding u·|c| ≤ u·Σ|a||b|. So c = 2 in
 * |fast − oracle| ≤ c·max(K,1)·u·Σ|a||b| covers both with room for the second-order terms, and it is still tight
 * enough to catch any dropped or doubled product (an error of size |a_ik·b_kj| itself).
 */
final class GemmTestSupport {
    private GemmTestSupport() {}

    static final double U = 0x1p-24;
    static final double C = 2.0;

    /** Checks fast == oracle elementwise within the dot-product bound; {@code extraTerms} counts e.g. a fused bias. */
    static void assertClose(Tensor fast, Tensor oracle, Tensor absScale, int k, int extraTerms, String what) {
        assertArrayEquals(oracle.shape(), fast.shape(), what + ": shape");
        float[] f = fast.toFloatArray(), o = oracle.toFloatArray(), s = absScale.toFloatArray();
        int terms = Math.max(1, k + extraTerms);
        for (int i = 0; i < f.length; i++) {
            double tol = C * terms * U * s[i];
            double err = Math.abs((double) f[i] - o[i]);
            if (!(err <= tol) && !(Float.isNaN(f[i]) && Float.isNaN(o[i])))
                fail(what + ": element " + i + " of " + f.length + " is " + f[i] + ", oracle " + o[i] + " (error " + err + " > bound " + tol + ", k=" + k + ")");
        }
    }

    /** Σ|a||b| for every output element: the oracle's product of the absolute values (same shapes and layouts). */
    static Tensor absProduct(Tensor a, Tensor b) {
        return ScalarKernels.INSTANCE.matmul(abs(a), abs(b));
    }

    /** A contiguous heap copy with |x| values (shape kept). */
    static Tensor abs(Tensor t) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]);
        return Tensor.of(v, t.shape());
    }

    /** Compares the vector matmul with the oracle for these operands. */
    static void checkMatmul(Tensor a, Tensor b, int threads, String what) {
        Tensor fast = Matmul.matmul(a, b, threads);
        Tensor oracle = ScalarKernels.INSTANCE.matmul(a, b);
        assertClose(fast, oracle, absProduct(a, b), a.size(-1), 0, what);
    }

    /** Values rounded to what {@code dtype} can hold, so an F32 copy and a half-precision copy hold the same numbers. */
    static Tensor roundedTo(Tensor t, DType dtype) {
        Tensor h = t.to(dtype, Arena.ofAuto());
        return h.copy();
    }

    static void assertSameBits(float expected, float actual, String what) {
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), what + ": expected " + expected + " got " + actual);
    }
}
