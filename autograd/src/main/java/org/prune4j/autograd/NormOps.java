package org.prune4j.autograd;

import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;

/** RMSNorm over the last dim, y = x r w with r = 1 / sqrt(mean(x^2) + eps) (Zhang and Sennrich 2019; Llama). */
final class NormOps {
    private NormOps() {}

    /**
     * x [..., C], weight [C] (or null). Backward is {@link Kernels#rmsNormBackward}, which recomputes r rather than
     * keeping it alive between forward and backward: dx = r (g - xhat mean(g xhat)) with g = dy w, dw = sum dy xhat.
     */
    static Var rmsNorm(Tape tape, Var x, Var weight, float eps) {
        Kernels k = tape.kernels();
        Tensor xv = x.value(), wv = weight == null ? null : weight.value();
        Tensor y = k.rmsNorm(xv, wv, eps);
        return tape.record("rmsNorm", y, dy -> {
            Tensor[] g = k.rmsNormBackward(xv, wv, dy, eps); // dx, dw
            if (Tape.needs(x)) tape.accumulate(x, g[0]);
            if (Tape.needs(weight)) tape.accumulate(weight, g[1]);
        }, x, weight);
    }
}
