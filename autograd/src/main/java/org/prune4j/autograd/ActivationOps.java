package org.prune4j.autograd;

import org.prune4j.tensor.BinaryOp;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.UnaryOp;

/** SiLU and the SwiGLU product silu(gate) * up of Llama's MLP. */
final class ActivationOps {
    private ActivationOps() {}

    /**
     * silu'(x) = s + x s (1 - s) with s = sigmoid(x); written as s + y (1 - s) with y = silu(x) = x s so that it
     * reuses the forward value.
     */
    static Tensor siluGrad(Kernels k, Tensor x, Tensor y) {
        Tensor s = k.unary(UnaryOp.SIGMOID, x);
        Tensor oneMinusS = k.scalarOp(BinaryOp.ADD, k.unary(UnaryOp.NEG, s), 1f);
        return k.add(s, k.mul(y, oneMinusS));
    }

    static Var silu(Tape tape, Var x) {
        Kernels k = tape.kernels();
        Tensor xv = x.value();
        Tensor y = k.unary(UnaryOp.SILU, xv);
        return tape.record("silu", y, dy -> tape.accumulate(x, k.mul(dy, siluGrad(k, xv, y))), x);
    }

    /** silu(gate) * up; shapes equal. Backward: {@link Kernels#swigluBackward}. */
    static Var swiglu(Tape tape, Var gate, Var up) {
        Kernels k = tape.kernels();
        Tensor gv = gate.value(), uv = up.value();
        Tensor y = k.swiglu(gv, uv);
        return tape.record("swiglu", y, dy -> {
            Tensor[] g = k.swigluBackward(gv, uv, dy);  // d gate = dy u silu'(g), d up = dy silu(g)
            if (Tape.needs(gate)) tape.accumulate(gate, g[0]);
            if (Tape.needs(up)) tape.accumulate(up, g[1]);
        }, gate, up);
    }
}
