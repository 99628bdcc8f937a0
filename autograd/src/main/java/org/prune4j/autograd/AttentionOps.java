package org.prune4j.autograd;

import org.prune4j.tensor.AttentionShape;
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

    /**
     * Mask of scores [..., T, S] for causal attention: 1 where key j lies after query t's absolute position
     * S - T + t (the first S - T keys are earlier context, e.g. a KV cache).
     */
    static Tensor causalMask(int t, int s) {
        float[] m = new float[Math.multiplyExact(t, s)];
        for (int i = 0; i < t; i++)
            for (int j = s - t + i + 1; j < s; j++) m[i * s + j] = 1f;
        return Tensor.of(m, t, s);
    }

    /** scores [..., T, S] with future keys set to -inf; backward zeroes the gradient there. */
    static Var causalMask(Tape tape, Var scores) {
        Kernels k = tape.kernels();
        int[] sh = scores.shape();
        if (sh.length < 2 || sh[sh.length - 2] > sh[sh.length - 1])
            throw new ShapeException("causal mask needs scores [..., T, S] with T <= S, got " + Shapes.str(sh));
        Tensor mask = causalMask(sh[sh.length - 2], sh[sh.length - 1]);
        Tensor y = k.maskedFill(scores.value(), mask, Float.NEGATIVE_INFINITY);
        return tape.record("causalMask", y, dy -> tape.accumulate(scores, k.maskedFill(dy, mask, 0f)), scores);
    }

    /**
     * Scaled dot-product attention, q [B, T, H, D], k and v [B, S, Hkv, D], H a multiple of Hkv -> [B, T, H, D].
     * Forward is the fused {@link Kernels#attention} (no [T, S] matrix kept). Backward regroups q as
     * [B, Hkv, G*T, D] (the G query heads of a kv head stacked), so one batched matmul per product both computes
     * the query gradients and sums key/value gradients over the group:
     * P = softmax(q k^T scale), dV = P^T dO, dP = dO V^T, dS = P (dP - rowsum(dP P)) scale, dQ = dS K, dK = dS^T Q.
     */
    static Var attention(Tape tape, Var q, Var key, Var value, float scale, boolean causal) {
        Kernels k = tape.kernels();
        Tensor qv = q.value(), kv = key.value(), vv = value.value();
        AttentionShape s = AttentionShape.of(qv, kv, vv);
        Tensor y = k.attention(qv, kv, vv, scale, causal);
        return tape.record("attention", y, dout -> {
            int b = s.b(), t = s.t(), h = s.h(), d = s.d(), len = s.s(), hkv = s.hkv(), g = s.group();
            Tensor qg = grouped(qv, b, t, hkv, g, d);                    // [B, Hkv, G*T, D]
            Tensor kh = kv.permute(0, 2, 1, 3);                           // [B, Hkv, S, D]
            Tensor vh = vv.permute(0, 2, 1, 3);                           // [B, Hkv, S, D]
            Tensor scores = k.scale(k.matmul(qg, kh.t()), scale);         // [B, Hkv, G*T, S]
            if (causal) scores = k.maskedFill(scores, groupedCausalMask(g, t, len), Float.NEGATIVE_INFINITY);
            Tensor p = k.softmax(scores);
            Tensor dOut = grouped(dout, b, t, hkv, g, d);                 // [B, Hkv, G*T, D]
            if (Tape.needs(value)) tape.accumulate(value, k.matmul(p.t(), dOut).permute(0, 2, 1, 3).contiguous());
            if (Tape.needs(q) || Tape.needs(key)) {
                Tensor dp = k.matmul(dOut, vh.t());                       // [B, Hkv, G*T, S]
                Tensor ds = k.scale(k.mul(p, k.sub(dp, k.sum(k.mul(dp, p), -1, true))), scale);
                if (Tape.needs(q)) {
                    Tensor dq = k.matmul(ds, kh)                          // [B, Hkv, G*T, D]
                            .view(b, hkv, g, t, d).reshape(b, h, t, d).permute(0, 2, 1, 3).contiguous();
                    tape.accumulate(q, dq);
                }
                if (Tape.needs(key)) tape.accumulate(key, k.matmul(ds.t(), qg).permute(0, 2, 1, 3).contiguous());
            }
        }, q, key, value);
    }

    /** [B, T, H, D] -> [B, Hkv, G*T, D] with row g*T + t holding query head kvHead*G + g at position t. */
    private static Tensor grouped(Tensor x, int b, int t, int hkv, int g, int d) {
        return x.permute(0, 2, 1, 3).reshape(b, hkv, g * t, d);
    }

    /** The causal mask of grouped scores [G*T, S]: row g*T + t masks keys after position S - T + t. */
    private static Tensor groupedCausalMask(int g, int t, int len) {
        Tensor one = causalMask(t, len);
        if (g == 1) return one;
        return one.unsqueeze(0).expand(g, t, len).reshape(g * t, len);
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
