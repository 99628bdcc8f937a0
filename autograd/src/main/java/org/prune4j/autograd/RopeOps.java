package org.prune4j.autograd;

import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;

/**
 * Rotary position embedding (Su et al. 2021). Each pair (a, b) is rotated by the angle of its position; the
 * transpose of a rotation is the rotation by the opposite angle, so backward is rope with -sin.
 */
final class RopeOps {
    private RopeOps() {}

    /** x [..., T, H, D]; cos, sin [T, D/2] (constants); rotate-half pairing unless {@code interleaved}. */
    static Var rope(Tape tape, Var x, Tensor cos, Tensor sin, boolean interleaved) {
        Kernels k = tape.kernels();
        Tensor y = k.rope(x.value(), cos, sin, interleaved);
        return tape.record("rope", y, dy -> tape.accumulate(x, k.rope(dy, cos, k.scale(sin, -1f), interleaved)), x);
    }
}
