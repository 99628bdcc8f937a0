package org.prune4j.autograd;

import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.ShapeException;
import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;

/** The gradient rule of numpy broadcasting: an input that was broadcast receives the sum over the broadcast dims. */
final class Broadcast {
    private Broadcast() {}

    /** Sums {@code g} over the dims that broadcasting added or stretched so that it has {@code shape}. */
    static Tensor reduceTo(Kernels k, Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (java.util.Arrays.equals(gs, shape)) return g;
        int lead = gs.length - shape.length;
        if (lead < 0) throw new ShapeException("gradient of shape " + Shapes.str(gs) + " cannot be reduced to " + Shapes.str(shape));
        Tensor r = g;
        for (int i = 0; i < lead; i++) r = k.sum(r, 0, false);
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == r.size(d)) continue;
            if (shape[d] != 1)
                throw new ShapeException("gradient of shape " + Shapes.str(gs) + " cannot be reduced to " + Shapes.str(shape));
            r = k.sum(r, d, true);
        }
        return r;
    }
}
