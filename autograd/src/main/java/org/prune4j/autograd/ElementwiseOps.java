package org.prune4j.autograd;

import java.util.Arrays;
import org.prune4j.tensor.BinaryOp;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.UnaryOp;

/** Arithmetic with numpy broadcasting (add, sub, mul, div, scale); gradients are summed back over broadcast dims. */
final class ElementwiseOps {
    private ElementwiseOps() {}

    /** Gives {@code g} (of the output's shape) to {@code v}, reducing broadcast dims; shares it when no reduction happens. */
    private static void give(Tape tape, Var v, Tensor g, boolean gShared) {
        if (!Tape.needs(v)) return;
        if (Arrays.equals(g.shape(), v.shape())) {
            if (gShared) tape.accumulateShared(v, g);
            else tape.accumulate(v, g);
        } else {
            tape.accumulate(v, Broadcast.reduceTo(tape.kernels(), g, v.shape()));
        }
    }

    static Var add(Tape tape, Var a, Var b) {
        Tensor y = tape.kernels().add(a.value(), b.value());
        return tape.record("add", y, dy -> {
            give(tape, a, dy, true);
            give(tape, b, dy, true);
        }, a, b);
    }

    static Var sub(Tape tape, Var a, Var b) {
        Kernels k = tape.kernels();
        Tensor y = k.sub(a.value(), b.value());
        return tape.record("sub", y, dy -> {
            give(tape, a, dy, true);
            if (Tape.needs(b)) give(tape, b, k.unary(UnaryOp.NEG, dy), false);
        }, a, b);
    }

    static Var mul(Tape tape, Var a, Var b) {
        Kernels k = tape.kernels();
        Tensor av = a.value(), bv = b.value();
        Tensor y = k.mul(av, bv);
        return tape.record("mul", y, dy -> {
            if (Tape.needs(a)) give(tape, a, k.mul(dy, bv), false); // d(ab)/da = b
            if (Tape.needs(b)) give(tape, b, k.mul(dy, av), false);
        }, a, b);
    }

    static Var div(Tape tape, Var a, Var b) {
        Kernels k = tape.kernels();
        Tensor av = a.value(), bv = b.value();
        Tensor y = k.div(av, bv);
        return tape.record("div", y, dy -> {
            Tensor dyOverB = k.div(dy, bv);                              // d(a/b)/da = 1/b
            if (Tape.needs(b)) give(tape, b, k.unary(UnaryOp.NEG, k.mul(dyOverB, y)), false); // d(a/b)/db = -(a/b)/b
            if (Tape.needs(a)) give(tape, a, dyOverB, false);
        }, a, b);
    }

    /** a * s for a constant s. */
    static Var scale(Tape tape, Var a, float s) {
        Kernels k = tape.kernels();
        Tensor y = k.scalarOp(BinaryOp.MUL, a.value(), s);
        return tape.record("scale", y, dy -> tape.accumulate(a, k.scalarOp(BinaryOp.MUL, dy, s)), a);
    }

    /** a + s for a constant s. */
    static Var addScalar(Tape tape, Var a, float s) {
        Tensor y = tape.kernels().scalarOp(BinaryOp.ADD, a.value(), s);
        return tape.record("addScalar", y, dy -> tape.accumulateShared(a, dy), a);
    }
}
