package org.prune4j.autograd;

import org.prune4j.tensor.BinaryOp;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.UnaryOp;

/** RMSNorm over the last dim, y = x r w with r = 1 / sqrt(mean(x^2) + eps) (Zhang and Sennrich 2019; Llama). */
final class NormOps {
    private NormOps() {}

    /** x [..., C], weight [C] (or null). */
    static Var rmsNorm(Tape tape, Var x, Var weight, float eps) {
        Kernels k = tape.kernels();
        Tensor xv = x.value(), wv = weight == null ? null : weight.value();
        Tensor y = k.rmsNorm(xv, wv, eps);
        return tape.record("rmsNorm", y, dy -> {
            // r [..., 1] and xhat = x r, recomputed rather than kept alive between forward and backward
            Tensor r = k.unary(UnaryOp.RSQRT, k.scalarOp(BinaryOp.ADD, k.mean(k.unary(UnaryOp.SQUARE, xv), -1, true), eps));
            Tensor xhat = k.mul(xv, r);
            if (Tape.needs(weight)) tape.accumulate(weight, Broadcast.reduceTo(k, k.mul(dy, xhat), wv.shape())); // dw = sum dy xhat
            if (Tape.needs(x)) {
                Tensor g = wv == null ? dy : k.mul(dy, wv);                               // dL/dxhat
                Tensor proj = k.mean(k.mul(g, xhat), -1, true);                            // mean(g xhat) [..., 1]
                tape.accumulate(x, k.mul(r, k.sub(g, k.mul(xhat, proj))));                // r (g - xhat mean(g xhat))
            }
        }, x, weight);
    }
}
