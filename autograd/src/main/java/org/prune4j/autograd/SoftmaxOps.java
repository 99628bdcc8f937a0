package org.prune4j.autograd;

import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.UnaryOp;

/** Softmax and log-softmax over the last dim. */
final class SoftmaxOps {
    private SoftmaxOps() {}

    /** dx = y (dy - sum(dy y)). */
    static Var softmax(Tape tape, Var x) {
        Kernels k = tape.kernels();
        Tensor y = k.softmax(x.value());
        return tape.record("softmax", y, dy -> tape.accumulate(x, k.mul(y, k.sub(dy, k.sum(k.mul(dy, y), -1, true)))), x);
    }

    /** dx = dy - softmax(x) sum(dy), with softmax(x) = exp(y). */
    static Var logSoftmax(Tape tape, Var x) {
        Kernels k = tape.kernels();
        Tensor y = k.logSoftmax(x.value());
        return tape.record("logSoftmax", y,
                dy -> tape.accumulate(x, k.sub(dy, k.mul(k.unary(UnaryOp.EXP, y), k.sum(dy, -1, true)))), x);
    }
}
