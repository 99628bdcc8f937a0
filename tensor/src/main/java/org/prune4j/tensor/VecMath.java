package org.prune4j.tensor;

import static jdk.incubator.vector.VectorOperators.EXP;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector versions of the activation functions and the small array reductions the fast kernels share.
 *
 * <p>Every {@code lanewise} call names its operator as a constant: the JIT only turns lanewise ops into
 * machine instructions (EXP into the JDK's SVML stub, ~0.3 ns per float here) when the operator is a
 * compile-time constant; passed as a variable it falls back to a scalar loop ~50x slower.
 */
final class VecMath {
    private VecMath() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector (16 with AVX-512, 8 with AVX2, 4 with NEON); never assumed anywhere. */
    static final int L = F.length();

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    private static final float GELU_TANH_K1 = (float) (Math.sqrt(2 / Math.PI) * 0.044715);
    private static final float INV_SQRT_2 = (float) (1 / Math.sqrt(2));

    /** 1 / (1 + e^-x). */
    static FloatVector sigmoid(FloatVector x) {
        return timesSigmoid(FloatVector.broadcast(F, 1f), x);
    }

    /** 1 / v. */
    static FloatVector recip(FloatVector v) {
        return FloatVector.broadcast(F, 1f).div(v);
    }

    /** x sigmoid(x) (SiLU, Llama's MLP activation). */
    static FloatVector silu(FloatVector x) {
        return timesSigmoid(x, x);
    }

    /**
     * The tanh GELU, 0.5 x (1 + tanh u) with u = sqrt(2/pi) (x + 0.044715 x^3), written as x sigmoid(2u)
     * (the same function, since 1 + tanh u = 2 sigmoid(2u)) so the negative tail does not cancel to zero.
     */
    static FloatVector geluTanh(FloatVector x) {
        FloatVector u = x.mul(x).fma(GELU_TANH_K1, SQRT_2_OVER_PI).mul(x); // sqrt(2/pi) x + k1 x^3
        return timesSigmoid(x, u.mul(2f));
    }

    /**
     * a sigmoid(z) without overflow or lost tails: with e = e^-|z|, it is a/(1 + e) for z >= 0 and a e/(1 + e)
     * below (e^-z itself would overflow for z < -88.7). For z < -80, e approaches the subnormal range and
     * loses bits, while a e can still be a normal float (silu(-87) = -1e-36): there a e = (a h) h with
     * h = e^(z/2), which stays normal.
     */
    static FloatVector timesSigmoid(FloatVector a, FloatVector z) {
        FloatVector nz = z.abs().neg();
        FloatVector e = nz.lanewise(EXP);
        FloatVector h = nz.mul(0.5f).lanewise(EXP);
        FloatVector tail = a.mul(e).blend(a.mul(h).mul(h), z.compare(VectorOperators.LT, -80f));
        return a.blend(tail, z.compare(VectorOperators.LT, 0f)).div(e.add(1f));
    }

    /**
     * Exact GELU, 0.5 x erfc(-x / sqrt 2). erfc(z) for z = |x|/sqrt 2 is Numerical Recipes' Chebyshev fit
     * t e^(-z^2 + P(t)), t = 1/(1 + z/2) (fractional error < 1.2e-7 for all z); erfc(-z) = 2 - erfc(z).
     * e^(-z^2) is split as e^(-hi/2) e^(-lo/2) with x^2 = hi + lo exact (an FMA), so the exponent is exact and
     * the tail keeps its relative accuracy; |x| is capped at 20 (erfc(14) underflows float) to keep inf finite.
     */
    static FloatVector gelu(FloatVector x) {
        FloatVector xa = x.abs().min(20f);
        FloatVector z = xa.mul(INV_SQRT_2);
        FloatVector t = recip(z.fma(0.5f, 1f));
        FloatVector p = t.fma(0.17087277f, -0.82215223f);
        p = p.fma(t, FloatVector.broadcast(F, 1.48851587f));
        p = p.fma(t, FloatVector.broadcast(F, -1.13520398f));
        p = p.fma(t, FloatVector.broadcast(F, 0.27886807f));
        p = p.fma(t, FloatVector.broadcast(F, -0.18628806f));
        p = p.fma(t, FloatVector.broadcast(F, 0.09678418f));
        p = p.fma(t, FloatVector.broadcast(F, 0.37409196f));
        p = p.fma(t, FloatVector.broadcast(F, 1.00002368f));
        p = p.fma(t, FloatVector.broadcast(F, -1.26551223f));
        FloatVector hi = xa.mul(xa);
        FloatVector lo = xa.fma(xa, hi.neg()); // x^2 - hi, exactly
        FloatVector r = t.mul(hi.mul(-0.5f).lanewise(EXP)).mul(lo.mul(-0.5f).add(p).lanewise(EXP)); // erfc(|x|/sqrt 2)
        FloatVector erfc = r.neg().add(2f).blend(r, x.compare(VectorOperators.LT, 0f)); // erfc(-x/sqrt 2)
        return x.mul(0.5f).mul(erfc);
    }

    // ------------------------------------------------------------ array reductions (float accumulators)

    /** Sum of a[from..from+n), four vector accumulators (error grows like n/(4L), not n). */
    static float sum(float[] a, int from, int n) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int bound = n - 4 * L; i <= bound; i += 4 * L) {
            s0 = s0.add(FloatVector.fromArray(F, a, from + i));
            s1 = s1.add(FloatVector.fromArray(F, a, from + i + L));
            s2 = s2.add(FloatVector.fromArray(F, a, from + i + 2 * L));
            s3 = s3.add(FloatVector.fromArray(F, a, from + i + 3 * L));
        }
        for (int bound = F.loopBound(n); i < bound; i += L) s0 = s0.add(FloatVector.fromArray(F, a, from + i));
        float s = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[from + i];
        return s;
    }

    /** Sum of squares of a[from..from+n). */
    static float sumSquares(float[] a, int from, int n) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int bound = n - 4 * L; i <= bound; i += 4 * L) {
            FloatVector v0 = FloatVector.fromArray(F, a, from + i), v1 = FloatVector.fromArray(F, a, from + i + L);
            FloatVector v2 = FloatVector.fromArray(F, a, from + i + 2 * L), v3 = FloatVector.fromArray(F, a, from + i + 3 * L);
            s0 = v0.fma(v0, s0);
            s1 = v1.fma(v1, s1);
            s2 = v2.fma(v2, s2);
            s3 = v3.fma(v3, s3);
        }
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, a, from + i);
            s0 = v.fma(v, s0);
        }
        float s = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s = Math.fma(a[from + i], a[from + i], s);
        return s;
    }

    /** Sum of (a[i] - c)^2 over a[from..from+n) (layer norm's variance after the mean is known). */
    static float sumSquaredDeviations(float[] a, int from, int n, float c) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0;
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            FloatVector v0 = FloatVector.fromArray(F, a, from + i).sub(c), v1 = FloatVector.fromArray(F, a, from + i + L).sub(c);
            s0 = v0.fma(v0, s0);
            s1 = v1.fma(v1, s1);
        }
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, a, from + i).sub(c);
            s0 = v.fma(v, s0);
        }
        float s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float d = a[from + i] - c;
            s = Math.fma(d, d, s);
        }
        return s;
    }

    /** Max of a[from..from+n) with Math.max semantics (NaN wins, +0 above -0); -inf when n = 0. */
    static float max(float[] a, int from, int n) {
        FloatVector m0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), m1 = m0;
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            m0 = m0.max(FloatVector.fromArray(F, a, from + i));
            m1 = m1.max(FloatVector.fromArray(F, a, from + i + L));
        }
        for (int bound = F.loopBound(n); i < bound; i += L) m0 = m0.max(FloatVector.fromArray(F, a, from + i));
        float m = m0.max(m1).reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, a[from + i]);
        return m;
    }

    /** Min of a[from..from+n) with Math.min semantics; +inf when n = 0. */
    static float min(float[] a, int from, int n) {
        FloatVector m0 = FloatVector.broadcast(F, Float.POSITIVE_INFINITY), m1 = m0;
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            m0 = m0.min(FloatVector.fromArray(F, a, from + i));
            m1 = m1.min(FloatVector.fromArray(F, a, from + i + L));
        }
        for (int bound = F.loopBound(n); i < bound; i += L) m0 = m0.min(FloatVector.fromArray(F, a, from + i));
        float m = m0.min(m1).reduceLanes(VectorOperators.MIN);
        for (; i < n; i++) m = Math.min(m, a[from + i]);
        return m;
    }

    /** Dot product of a[ia..ia+n) and b[ib..ib+n). */
    static float dot(float[] a, int ia, float[] b, int ib, int n) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0;
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            s0 = FloatVector.fromArray(F, a, ia + i).fma(FloatVector.fromArray(F, b, ib + i), s0);
            s1 = FloatVector.fromArray(F, a, ia + i + L).fma(FloatVector.fromArray(F, b, ib + i + L), s1);
        }
        for (int bound = F.loopBound(n); i < bound; i += L)
            s0 = FloatVector.fromArray(F, a, ia + i).fma(FloatVector.fromArray(F, b, ib + i), s0);
        float s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s = Math.fma(a[ia + i], b[ib + i], s);
        return s;
    }

    /** o[io..io+n) *= s. */
    static void scale(float[] o, int io, int n, float s) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) FloatVector.fromArray(F, o, io + i).mul(s).intoArray(o, io + i);
        for (; i < n; i++) o[io + i] *= s;
    }

    /** o[io..io+n) += s * b[ib..ib+n). */
    static void axpy(float s, float[] b, int ib, float[] o, int io, int n) {
        int i = 0;
        FloatVector sv = FloatVector.broadcast(F, s);
        for (int bound = F.loopBound(n); i < bound; i += L)
            FloatVector.fromArray(F, b, ib + i).fma(sv, FloatVector.fromArray(F, o, io + i)).intoArray(o, io + i);
        for (; i < n; i++) o[io + i] = Math.fma(s, b[ib + i], o[io + i]);
    }
}
