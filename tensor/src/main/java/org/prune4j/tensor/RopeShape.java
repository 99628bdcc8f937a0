package org.prune4j.tensor;

/** Validated shapes of rotary embedding: x [..., T, H, D] with D even, cos and sin [T, D/2]. */
public record RopeShape(int t, int h, int d) {

    public static RopeShape of(Tensor x, Tensor cos, Tensor sin) {
        String all = "x " + Shapes.str(x.shape()) + ", cos " + Shapes.str(cos.shape()) + ", sin " + Shapes.str(sin.shape());
        if (x.rank() < 3) throw new ShapeException("rope needs x [..., T, H, D]; got " + all);
        int t = x.size(-3), h = x.size(-2), d = x.size(-1);
        if (d % 2 != 0) throw new ShapeException("rope needs an even head dim; got " + all);
        if (cos.rank() != 2 || sin.rank() != 2 || cos.size(0) != t || cos.size(1) != d / 2 || !java.util.Arrays.equals(cos.shape(), sin.shape()))
            throw new ShapeException("rope needs cos and sin of shape [" + t + ", " + d / 2 + "]; got " + all);
        return new RopeShape(t, h, d);
    }
}
