package org.prune4j.autograd;

import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;

/** Matrix products: batched matmul with broadcast batch dims, and the linear layer y = x W^T + b. */
final class LinearOps {
    private LinearOps() {}

    /** a [..., M, K] @ b [..., K, N] -> [..., M, N]. */
    static Var matmul(Tape tape, Var a, Var b) {
        Kernels k = tape.kernels();
        Tensor av = a.value(), bv = b.value();
        Tensor y = k.matmul(av, bv);
        return tape.record("matmul", y, dy -> {
            if (Tape.needs(a)) {
                // dA = dY @ B^T, summed over the batch dims A was broadcast along
                tape.accumulate(a, Broadcast.reduceTo(k, k.matmul(dy, bv.t()), av.shape()));
            }
            if (Tape.needs(b)) {
                Tensor db;
                if (bv.rank() == 2 && av.rank() > 2) {
                    // a shared [K, N] matrix: fold every batch row into one product  A2^T [K, rows] @ dY2 [rows, N]
                    int kk = av.size(-1), n = bv.size(-1);
                    db = k.matmul(av.reshape(-1, kk).t(), dy.reshape(-1, n));
                } else {
                    db = Broadcast.reduceTo(k, k.matmul(av.t(), dy), bv.shape()); // dB = A^T @ dY
                }
                tape.accumulate(b, db);
            }
        }, a, b);
    }

    /** x [..., in] @ w [out, in]^T + bias [out] -> [..., out] (Hugging Face weight layout); bias may be null. */
    static Var linear(Tape tape, Var x, Var w, Var bias) {
        Kernels k = tape.kernels();
        Tensor xv = x.value(), wv = w.value();
        Tensor y = k.linear(xv, wv, bias == null ? null : bias.value());
        return tape.record("linear", y, dy -> {
            int in = wv.size(1), out = wv.size(0);
            Tensor dy2 = dy.reshape(-1, out);                                  // [N, out]
            if (Tape.needs(x)) tape.accumulate(x, k.matmul(dy, wv));           // [..., out] @ [out, in] -> [..., in]
            if (Tape.needs(w)) tape.accumulate(w, k.matmul(dy2.t(), xv.reshape(-1, in))); // [out, N] @ [N, in]
            if (Tape.needs(bias)) tape.accumulate(bias, k.sum(dy2, 0, false));  // [out]
        }, x, w, bias);
    }
}
