package org.prune4j.autograd;

import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.ShapeException;
import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;

/**
 * The pieces of causal grouped-query attention: key/value head repetition, the causal mask, and the fused
 * attention op whose backward recomputes the probabilities and sums key/value gradients over each query group.
 */
final class AttentionOps {
    private AttentionOps() {}

    /**
     * x [B, S, Hkv, D] -> [B, S, Hkv * group, D], query head h reading kv head h / group (consecutive query heads
     * share a kv head). Backward sums the gradient over each group.
     */
    static Var repeatKv(Tape tape, Var x, int group) {
        Kernels k = tape.kernels();
        int[] s = x.shape();
        if (s.length != 4) throw new ShapeException("repeatKv needs [B, S, Hkv, D], got " + Shapes.str(s));
        if (group == 1) return x;
        int b = s[0], len = s[1], hkv = s[2], d = s[3];
        Tensor y = x.value().unsqueeze(3).expand(b, len, hkv, group, d).reshape(b, len, hkv * group, d);
        return tape.record("repeatKv", y, dy -> tape.accumulate(x, k.sum(dy.reshape(b, len, hkv, group, d), 3, false)), x);
    }

    /** scores [..., T, S] with future keys set to -inf; backward zeroes the gradient there. */
    static Var causalMask(Tape tape, Var scores) {
        Kernels k = tape.kernels();
        int[] sh = scores.shape();
        if (sh.length < 2 || sh[sh.length - 2] > sh[sh.length - 1])
            throw new ShapeException("causal mask needs scores [..., T, S] with T <= S, got " + Shapes.str(sh));
        Tensor mask = Kernels.causalMask(sh[sh.length - 2], sh[sh.length - 1]);
        Tensor y = k.maskedFill(scores.value(), mask, Float.NEGATIVE_INFINITY);
        return tape.record("causalMask", y, dy -> tape.accumulate(scores, k.maskedFill(dy, mask, 0f)), scores);
    }

    /**
     * Scaled dot-product attention, q [B, T, H, D], k and v [B, S, Hkv, D], H a multiple of Hkv -> [B, T, H, D].
     * Forward is the fused {@link Kernels#attention} (no [T, S] matrix kept); backward is
     * {@link Kernels#attentionBackward}, which recomputes the probabilities and sums key/value gradients over each
     * query group.
     */
    static Var attention(Tape tape, Var q, Var key, Var value, float scale, boolean causal) {
        return attention(tape, q, key, value, scale, causal, 0);
    }

    /**
     * As {@link #attention(Tape, Var, Var, Var, float, boolean)}; with {@code window} > 0, causal attention over the last
     * {@code window} positions only (Mistral's sliding window): {@link Kernels#slidingAttention} forward,
     * {@link Kernels#slidingAttentionBackward} backward.
     */
    static Var attention(Tape tape, Var q, Var key, Var value, float scale, boolean causal, int window) {
        Kernels k = tape.kernels();
        Tensor qv = q.value(), kv = key.value(), vv = value.value();
        Tensor y = window > 0 ? k.slidingAttention(qv, kv, vv, scale, window) : k.attention(qv, kv, vv, scale, causal);
        return tape.record("attention", y, dout -> {
            Tensor[] g = window > 0 ? k.slidingAttentionBackward(qv, kv, vv, dout, scale, window)
                    : k.attentionBackward(qv, kv, vv, dout, scale, causal);                      // dq, dk, dv
            if (Tape.needs(q)) tape.accumulate(q, g[0]);
            if (Tape.needs(key)) tape.accumulate(key, g[1]);
            if (Tape.needs(value)) tape.accumulate(value, g[2]);
        }, q, key, value);
    }

    /**
     * The multiplicative head mask of Michel et al. (2019): each head's attention output x [B, T, H, D] times xi[h].
     * With xi a parameter of ones, d loss / d xi[h] is the head's importance score.
     */
    static Var headMask(Tape tape, Var x, Var xi) {
        int h = x.size(2);
        if (xi.rank() != 1 || xi.size(0) != h)
            throw new ShapeException("head mask of shape " + Shapes.str(xi.shape()) + " does not match " + h + " heads of " + Shapes.str(x.shape()));
        return ElementwiseOps.mul(tape, x, ViewOps.reshape(tape, xi, 1, 1, h, 1));
    }
}
