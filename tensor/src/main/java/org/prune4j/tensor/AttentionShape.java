package org.prune4j.tensor;

/** Validated shapes of attention: q [B, T, H, D], k and v [B, S, Hkv, D], H a multiple of Hkv, T <= S. */
public record AttentionShape(int b, int t, int h, int d, int s, int hkv, int group) {

    public static AttentionShape of(Tensor q, Tensor k, Tensor v) {
        String all = "q " + Shapes.str(q.shape()) + ", k " + Shapes.str(k.shape()) + ", v " + Shapes.str(v.shape());
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4)
            throw new ShapeException("attention needs q [B, T, H, D] and k, v [B, S, Hkv, D]; got " + all);
        if (!java.util.Arrays.equals(k.shape(), v.shape())) throw new ShapeException("attention: k and v shapes differ: " + all);
        int b = q.size(0), t = q.size(1), h = q.size(2), d = q.size(3), s = k.size(1), hkv = k.size(2);
        if (k.size(0) != b || k.size(3) != d) throw new ShapeException("attention: batch or head dim mismatch: " + all);
        if (hkv == 0 || h % hkv != 0) throw new ShapeException("attention: " + h + " query heads are not a multiple of " + hkv + " key/value heads: " + all);
        if (t > s) throw new ShapeException("attention: more queries (" + t + ") than keys (" + s + "): " + all);
        return new AttentionShape(b, t, h, d, s, hkv, h / hkv);
    }
}
