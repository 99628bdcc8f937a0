package org.prune4j.autograd;

import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;

/** Sum and mean over one dim or over everything; backward broadcasts the gradient back over the reduced dim. */
final class ReduceOps {
    private ReduceOps() {}

    static Var sum(Tape tape, Var x, int dim, boolean keepDim) {
        return reduce(tape, x, dim, keepDim, false);
    }

    static Var mean(Tape tape, Var x, int dim, boolean keepDim) {
        return reduce(tape, x, dim, keepDim, true);
    }

    private static Var reduce(Tape tape, Var x, int dim, boolean keepDim, boolean mean) {
        Kernels k = tape.kernels();
        int[] in = x.shape();
        int d = Shapes.dim(dim, in);
        Tensor y = mean ? k.mean(x.value(), d, keepDim) : k.sum(x.value(), d, keepDim);
        return tape.record(mean ? "mean" : "sum", y, dy -> {
            Tensor g = keepDim ? dy : dy.unsqueeze(d);
            if (mean) g = k.scale(g, 1f / in[d]);
            tape.accumulateShared(x, g.expand(in)); // stride-0 view; copied before anything adds into it
        }, x);
    }

    /** Sum of every element -> a one-element tensor of shape []. */
    static Var sumAll(Tape tape, Var x) {
        return reduce(tape, ViewOps.reshape(tape, x, -1), 0, false, false);
    }

    /** Mean of every element -> shape []. */
    static Var meanAll(Tape tape, Var x) {
        return reduce(tape, ViewOps.reshape(tape, x, -1), 0, false, true);
    }
}
