package org.prune4j.tensor;

import static org.prune4j.tensor.VecMath.F;
import static org.prune4j.tensor.VecMath.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Elementwise ops: broadcasting binary ops, scalar ops, activations, SwiGLU, masked fill, where and the
 * in-place add gradients accumulate with. Runs are vectorised with one loop per operator (the Vector API
 * only compiles constant operators to instructions); operands that are not dense F32 arrays are copied
 * to one first, which the memory-bound op would cost anyway. Arithmetic (+ - * / max min) is IEEE-exact and
 * so bit-identical to the oracle; transcendental functions are within a few ulp (see VecMath).
 */
final class VecElementwise {
    private VecElementwise() {}

    // ------------------------------------------------------------------ binary

    static Tensor binary(int threads, BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast(a.shape(), b.shape()); // [..] = broadcast of [..a] and [..b]
        float[] out = new float[Shapes.checkedArrayLength(shape)];
        if (out.length == 0) return Tensor.of(out, shape);
        Broadcast p = Broadcast.of(shape, a, b);
        float[] x = p.data[0], y = p.data[1];
        int sx = p.step[0], sy = p.step[1];
        p.forEach(threads, (n, o, ix, iy, unused) -> binaryRun(op, x, ix, sx, y, iy, sy, out, o, n));
        return Tensor.of(out, shape);
    }

    static Tensor scalarOp(int threads, BinaryOp op, Tensor a, float s) {
        // a dense input gets a fresh output; any other input is copied once and transformed in place
        boolean inPlace = !a.isDenseArray();
        Tensor d = a.toF32();
        float[] x = d.array(), out = inPlace ? x : new float[Shapes.checkedArrayLength(a.shape())];
        int xo = (int) d.offset(), oo = inPlace ? xo : 0;
        float[] ys = {s};
        Parallel.forRange(threads, a.numel(), Broadcast.GRAIN,
                (from, to) -> binaryRun(op, x, xo + (int) from, 1, ys, 0, 0, out, oo + (int) from, (int) (to - from)));
        return inPlace ? d : Tensor.of(out, a.shape());
    }

    /** out[o + i] = x[ix + i*sx] op y[iy + i*sy] for i < n, steps 0 or 1. */
    static void binaryRun(BinaryOp op, float[] x, int ix, int sx, float[] y, int iy, int sy, float[] out, int o, int n) {
        switch (op) {
            case ADD -> add(x, ix, sx, y, iy, sy, out, o, n);
            case SUB -> sub(x, ix, sx, y, iy, sy, out, o, n);
            case MUL -> mul(x, ix, sx, y, iy, sy, out, o, n);
            case DIV -> div(x, ix, sx, y, iy, sy, out, o, n);
            case MAX -> max(x, ix, sx, y, iy, sy, out, o, n);
            case MIN -> min(x, ix, sx, y, iy, sy, out, o, n);
            case POW -> { // no vector pow matches Math.pow's correctly-rounded-ish result; scalar, in parallel
                for (int i = 0; i < n; i++) out[o + i] = (float) Math.pow(x[ix + i * sx], y[iy + i * sy]);
            }
        }
    }

    private static void add(float[] x, int ix, int sx, float[] y, int iy, int sy, float[] out, int o, int n) {
        int i = 0, bound = F.loopBound(n);
        if (sx == 1 && sy == 1) {
            for (; i < bound; i += L) FloatVector.fromArray(F, x, ix + i).add(FloatVector.fromArray(F, y, iy + i)).intoArray(out, o + i);
        } else if (sx == 1) {
            FloatVector c = FloatVector.broadcast(F, y[iy]);
            for (; i < bound; i += L) FloatVector.fromArray(F, x, ix + i).add(c).intoArray(out, o + i);
        } else if (sy == 1) {
            FloatVector c = FloatVector.broadcast(F, x[ix]);
            for (; i < bound; i += L) c.add(FloatVector.fromArray(F, y, iy + i)).intoArray(out, o + i);
        }
        for (; i < n; i++) out[o + i] = x[ix + i * sx] + y[iy + i * sy];
    }

    private static void sub(float[] x, int ix, int sx, float[] y, int iy, int sy, float[] out, int o, int n) {
        int i = 0, bound = F.loopBound(n);
        if (sx == 1 && sy == 1) {
            for (; i < bound; i += L) FloatVector.fromArray(F, x, ix + i).sub(FloatVector.fromArray(F, y, iy + i)).intoArray(out, o + i);
        } else if (sx == 1) {
            FloatVector c = FloatVector.broadcast(F, y[iy]);
            for (; i < bound; i += L) FloatVector.fromArray(F, x, ix + i).sub(c).intoArray(out, o + i);
        } else if (sy == 1) {
            FloatVector c = FloatVector.broadcast(F, x[ix]);
            for (; i < bound; i += L) c.sub(FloatVector.fromArray(F, y, iy + i)).intoArray(out, o + i);
        }
        for (; i < n; i++) out[o + i] = x[ix + i * sx] - y[iy + i * sy];
    }

    private static void mul(float[] x, int ix, int sx, float[] y, int iy, int sy, float[] out, int o, int n) {
        int i = 0, bound = F.loopBound(n);
        if (sx == 1 && sy == 1) {
            for (; i < bound; i += L) FloatVector.fromArray(F, x, ix + i).mul(FloatVector.fromArray(F, y, iy + i)).intoArray(out, o + i);
        } else if (sx == 1) {
            FloatVector c = FloatVector.broadcast(F, y[iy]);
            for (; i < bound; i += L) FloatVector.fromArray(F, x, ix + i).mul(c).intoArray(out, o + i);
        } else if (sy == 1) {
            FloatVector c = FloatVector.broadcast(F, x[ix]);
            for (; i < bound; i += L) c.mul(FloatVector.fromArray(F, y, iy + i)).intoArray(out, o + i);
        }
        for (; i < n; i++) out[o + i] = x[ix + i * sx] * y[iy + i * sy];
    }

    private static void div(float[] x, int ix, int sx, float[] y, int iy, int sy, float[] out, int o, int n) {
        int i = 0, bound = F.loopBound(n);
        if (sx == 1 && sy == 1) {
            for (; i < bound; i += L) FloatVector.fromArray(F, x, ix + i).div(FloatVector.fromArray(F, y, iy + i)).intoArray(out, o + i);
        } else if (sx == 1) { // x / c, not x * (1/c): the oracle divides, and so must we to match bit for bit
            FloatVector c = FloatVector.broadcast(F, y[iy]);
            for (; i < bound; i += L) FloatVector.fromArray(F, x, ix + i).div(c).intoArray(out, o + i);
        } else if (sy == 1) {
            FloatVector c = FloatVector.broadcast(F, x[ix]);
            for (; i < bound; i += L) c.div(FloatVector.fromArray(F, y, iy + i)).intoArray(out, o + i);
        }
        for (; i < n; i++) out[o + i] = x[ix + i * sx] / y[iy + i * sy];
    }

    private static void max(float[] x, int ix, int sx, float[] y, int iy, int sy, float[] out, int o, int n) {
        int i = 0, bound = F.loopBound(n);
        if (sx == 1 && sy == 1) {
            for (; i < bound; i += L) FloatVector.fromArray(F, x, ix + i).max(FloatVector.fromArray(F, y, iy + i)).intoArray(out, o + i);
        } else if (sx == 1) {
            FloatVector c = FloatVector.broadcast(F, y[iy]);
            for (; i < bound; i += L) FloatVector.fromArray(F, x, ix + i).max(c).intoArray(out, o + i);
        } else if (sy == 1) {
            FloatVector c = FloatVector.broadcast(F, x[ix]);
            for (; i < bound; i += L) c.max(FloatVector.fromArray(F, y, iy + i)).intoArray(out, o + i);
        }
        for (; i < n; i++) out[o + i] = Math.max(x[ix + i * sx], y[iy + i * sy]);
    }

    private static void min(float[] x, int ix, int sx, float[] y, int iy, int sy, float[] out, int o, int n) {
        int i = 0, bound = F.loopBound(n);
        if (sx == 1 && sy == 1) {
            for (; i < bound; i += L) FloatVector.fromArray(F, x, ix + i).min(FloatVector.fromArray(F, y, iy + i)).intoArray(out, o + i);
        } else if (sx == 1) {
            FloatVector c = FloatVector.broadcast(F, y[iy]);
            for (; i < bound; i += L) FloatVector.fromArray(F, x, ix + i).min(c).intoArray(out, o + i);
        } else if (sy == 1) {
            FloatVector c = FloatVector.broadcast(F, x[ix]);
            for (; i < bound; i += L) c.min(FloatVector.fromArray(F, y, iy + i)).intoArray(out, o + i);
        }
        for (; i < n; i++) out[o + i] = Math.min(x[ix + i * sx], y[iy + i * sy]);
    }

    // ------------------------------------------------------------------ unary

    static Tensor unary(int threads, UnaryOp op, Tensor a) {
        // a dense input gets a fresh output; any other input is copied once and transformed in place
        boolean inPlace = !a.isDenseArray();
        Tensor d = a.toF32();
        float[] x = d.array();
        float[] out = inPlace ? x : new float[Shapes.checkedArrayLength(a.shape())];
        int xo = (int) d.offset(), oo = inPlace ? xo : 0;
        Parallel.forRange(threads, a.numel(), Broadcast.GRAIN,
                (from, to) -> unaryRun(op, x, xo + (int) from, out, oo + (int) from, (int) (to - from)));
        return inPlace ? d : Tensor.of(out, a.shape());
    }

    /** out[o..o+n) = op(x[ix..ix+n)). */
    static void unaryRun(UnaryOp op, float[] x, int ix, float[] out, int o, int n) {
        switch (op) {
            case NEG -> neg(x, ix, out, o, n);
            case ABS -> abs(x, ix, out, o, n);
            case SQUARE -> square(x, ix, out, o, n);
            case EXP -> exp(x, ix, out, o, n);
            case LOG -> log(x, ix, out, o, n);
            case SQRT -> sqrt(x, ix, out, o, n);
            case RSQRT -> rsqrt(x, ix, out, o, n);
            case SILU -> silu(x, ix, out, o, n);
            case SIGMOID -> sigmoid(x, ix, out, o, n);
            case GELU -> gelu(x, ix, out, o, n);
            case GELU_TANH -> geluTanh(x, ix, out, o, n);
            case TANH -> tanh(x, ix, out, o, n);
            case RELU -> relu(x, ix, out, o, n);
            case RECIPROCAL -> reciprocal(x, ix, out, o, n);
        }
    }

    // Exact ops (IEEE arithmetic, sqrt) finish with a scalar tail. Transcendental ones finish with one masked
    // vector, so every element goes through the same vector code (a scalar tail would round differently).

    private static void neg(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) FloatVector.fromArray(F, x, ix + i).neg().intoArray(out, o + i);
        for (; i < n; i++) out[o + i] = -x[ix + i];
    }


    private static void abs(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) FloatVector.fromArray(F, x, ix + i).abs().intoArray(out, o + i);
        for (; i < n; i++) out[o + i] = Math.abs(x[ix + i]);
    }


    private static void square(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, ix + i);
            v.mul(v).intoArray(out, o + i);
        }
        for (; i < n; i++) out[o + i] = x[ix + i] * x[ix + i];
    }


    private static void exp(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L)
            VecMath.exp(FloatVector.fromArray(F, x, ix + i)).intoArray(out, o + i);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            VecMath.exp(FloatVector.fromArray(F, x, ix + i, m)).intoArray(out, o + i, m);
        }
    }

    private static void log(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L)
            FloatVector.fromArray(F, x, ix + i).lanewise(VectorOperators.LOG).intoArray(out, o + i);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector.fromArray(F, x, ix + i, m).lanewise(VectorOperators.LOG).intoArray(out, o + i, m);
        }
    }

    private static void sqrt(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) FloatVector.fromArray(F, x, ix + i).sqrt().intoArray(out, o + i);
        for (; i < n; i++) out[o + i] = (float) Math.sqrt(x[ix + i]); // IEEE sqrt is correctly rounded either way
    }

    private static void rsqrt(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L)
            VecMath.recip(FloatVector.fromArray(F, x, ix + i).sqrt()).intoArray(out, o + i);
        for (; i < n; i++) out[o + i] = 1f / (float) Math.sqrt(x[ix + i]); // the same two roundings as the vector lanes
    }

    private static void silu(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) VecMath.silu(FloatVector.fromArray(F, x, ix + i)).intoArray(out, o + i);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            VecMath.silu(FloatVector.fromArray(F, x, ix + i, m)).intoArray(out, o + i, m);
        }
    }

    private static void sigmoid(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) VecMath.sigmoid(FloatVector.fromArray(F, x, ix + i)).intoArray(out, o + i);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            VecMath.sigmoid(FloatVector.fromArray(F, x, ix + i, m)).intoArray(out, o + i, m);
        }
    }

    private static void gelu(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) VecMath.gelu(FloatVector.fromArray(F, x, ix + i)).intoArray(out, o + i);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            VecMath.gelu(FloatVector.fromArray(F, x, ix + i, m)).intoArray(out, o + i, m);
        }
    }

    private static void geluTanh(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) VecMath.geluTanh(FloatVector.fromArray(F, x, ix + i)).intoArray(out, o + i);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            VecMath.geluTanh(FloatVector.fromArray(F, x, ix + i, m)).intoArray(out, o + i, m);
        }
    }

    private static void tanh(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L)
            FloatVector.fromArray(F, x, ix + i).lanewise(VectorOperators.TANH).intoArray(out, o + i);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector.fromArray(F, x, ix + i, m).lanewise(VectorOperators.TANH).intoArray(out, o + i, m);
        }
    }

    private static void relu(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) FloatVector.fromArray(F, x, ix + i).max(0f).intoArray(out, o + i);
        for (; i < n; i++) out[o + i] = Math.max(x[ix + i], 0f);
    }

    private static void reciprocal(float[] x, int ix, float[] out, int o, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) VecMath.recip(FloatVector.fromArray(F, x, ix + i)).intoArray(out, o + i);
        for (; i < n; i++) out[o + i] = 1f / x[ix + i];
    }

    // ------------------------------------------------------------------ fused and selection ops

    static Tensor swiglu(int threads, Tensor gate, Tensor up) {
        Shapes.requireSame("swiglu", gate.shape(), up.shape()); // [.., F] and [.., F]
        Tensor g = gate.toF32(), u = up.toF32();
        float[] gx = g.array(), ux = u.array();
        int go = (int) g.offset(), uo = (int) u.offset();
        float[] out = new float[Shapes.checkedArrayLength(gate.shape())];
        Parallel.forRange(threads, out.length, Broadcast.GRAIN, (from, to) -> {
            int i = (int) from, n = (int) to;
            for (int bound = (int) from + F.loopBound(n - (int) from); i < bound; i += L)
                VecMath.silu(FloatVector.fromArray(F, gx, go + i)).mul(FloatVector.fromArray(F, ux, uo + i)).intoArray(out, i);
            if (i < n) {
                VectorMask<Float> m = F.indexInRange(i, n);
                VecMath.silu(FloatVector.fromArray(F, gx, go + i, m)).mul(FloatVector.fromArray(F, ux, uo + i, m)).intoArray(out, i, m);
            }
        });
        return Tensor.of(out, gate.shape());
    }

    /** {d gate, d up} of silu(gate) * up from dy, one pass: s = sigmoid(g), d up = dy g s, d gate = dy u (s + g s (1 - s)). */
    static Tensor[] swigluBackward(int threads, Tensor gate, Tensor up, Tensor dy) {
        Shapes.requireSame("swiglu backward: gate vs up", gate.shape(), up.shape());
        Shapes.requireSame("swiglu backward: gradient vs gate", gate.shape(), dy.shape());
        Tensor g = gate.toF32(), u = up.toF32(), d = dy.toF32();
        float[] gx = g.array(), ux = u.array(), dx = d.array();
        int go = (int) g.offset(), uo = (int) u.offset(), dof = (int) d.offset();
        float[] dGate = new float[Shapes.checkedArrayLength(gate.shape())], dUp = new float[dGate.length];
        Parallel.forRange(threads, dGate.length, Broadcast.GRAIN, (from, to) -> {
            int i = (int) from, n = (int) to;
            for (int bound = (int) from + F.loopBound(n - (int) from); i < bound; i += L) {
                FloatVector gv = FloatVector.fromArray(F, gx, go + i), dv = FloatVector.fromArray(F, dx, dof + i);
                FloatVector s = VecMath.sigmoid(gv), silu = gv.mul(s);
                dv.mul(silu).intoArray(dUp, i);
                FloatVector siluGrad = s.add(silu.mul(s.neg().add(1f)));
                dv.mul(FloatVector.fromArray(F, ux, uo + i)).mul(siluGrad).intoArray(dGate, i);
            }
            if (i < n) { // the same arithmetic on the last partial vector
                VectorMask<Float> m = F.indexInRange(i, n);
                FloatVector gv = FloatVector.fromArray(F, gx, go + i, m), dv = FloatVector.fromArray(F, dx, dof + i, m);
                FloatVector s = VecMath.sigmoid(gv), silu = gv.mul(s);
                dv.mul(silu).intoArray(dUp, i, m);
                FloatVector siluGrad = s.add(silu.mul(s.neg().add(1f)));
                dv.mul(FloatVector.fromArray(F, ux, uo + i, m)).mul(siluGrad).intoArray(dGate, i, m);
            }
        });
        return new Tensor[] {Tensor.of(dGate, gate.shape()), Tensor.of(dUp, gate.shape())};
    }

    static Tensor maskedFill(int threads, Tensor a, Tensor mask, float value) {
        Shapes.requireBroadcastsTo("maskedFill", mask.shape(), a.shape());
        int[] shape = a.shape();
        float[] out = new float[Shapes.checkedArrayLength(shape)];
        if (out.length == 0) return Tensor.of(out, shape);
        Broadcast p = Broadcast.of(shape, a, mask);
        float[] x = p.data[0], mk = p.data[1];
        int sx = p.step[0], sm = p.step[1];
        p.forEach(threads, (n, o, ix, im, unused) -> {
            int i = 0;
            if (sx == 1 && sm == 1) {
                FloatVector v = FloatVector.broadcast(F, value);
                for (int bound = F.loopBound(n); i < bound; i += L) {
                    VectorMask<Float> fill = FloatVector.fromArray(F, mk, im + i).compare(VectorOperators.NE, 0f);
                    FloatVector.fromArray(F, x, ix + i).blend(v, fill).intoArray(out, o + i);
                }
            }
            for (; i < n; i++) out[o + i] = mk[im + i * sm] != 0 ? value : x[ix + i * sx];
        });
        return Tensor.of(out, shape);
    }

    static Tensor where(int threads, Tensor cond, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast(cond.shape(), a.shape(), b.shape());
        float[] out = new float[Shapes.checkedArrayLength(shape)];
        if (out.length == 0) return Tensor.of(out, shape);
        Broadcast p = Broadcast.of(shape, cond, a, b);
        float[] c = p.data[0], x = p.data[1], y = p.data[2];
        int sc = p.step[0], sx = p.step[1], sy = p.step[2];
        p.forEach(threads, (n, o, ic, ix, iy) -> {
            int i = 0;
            if (sc == 1 && sx == 1 && sy == 1) {
                for (int bound = F.loopBound(n); i < bound; i += L) {
                    VectorMask<Float> pick = FloatVector.fromArray(F, c, ic + i).compare(VectorOperators.NE, 0f);
                    FloatVector.fromArray(F, y, iy + i).blend(FloatVector.fromArray(F, x, ix + i), pick).intoArray(out, o + i);
                }
            }
            for (; i < n; i++) out[o + i] = c[ic + i * sc] != 0 ? x[ix + i * sx] : y[iy + i * sy];
        });
        return Tensor.of(out, shape);
    }

    static void addInPlace(int threads, Tensor dst, Tensor src) {
        Shapes.requireSame("addInPlace", dst.shape(), src.shape());
        dst.requireNoBroadcast("addInPlace");
        if (dst.numel() == 0) return;
        if (src.storage() == dst.storage()) src = src.copy(); // dst += src must read src as it was before
        Tensor s = src.toF32();
        if (!dst.isDenseArray()) { // views into other layouts and BF16/F16 storage: read, add, write back
            float[] sum = dst.toFloatArray();
            float[] sx = s.array();
            int so = (int) s.offset();
            for (int i = 0; i < sum.length; i++) sum[i] += sx[so + i];
            dst.copyFrom(Tensor.of(sum, dst.shape()));
            return;
        }
        float[] d = dst.array(), sx = s.array();
        int dOff = (int) dst.offset(), sOff = (int) s.offset();
        Parallel.forRange(threads, dst.numel(), Broadcast.GRAIN,
                (from, to) -> add(d, dOff + (int) from, 1, sx, sOff + (int) from, 1, d, dOff + (int) from, (int) (to - from)));
    }
}
