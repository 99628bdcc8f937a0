package org.prune4j.autograd;

import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;

/**
 * Shape ops: reshape, transpose, permute, narrow, slice, select, concat. Forward returns views where the layout
 * allows; backward maps the gradient through the inverse view, or adds it into the matching part of the input's.
 */
final class ViewOps {
    private ViewOps() {}

    static Var reshape(Tape tape, Var x, int... shape) {
        int[] in = x.shape();
        Tensor y = x.value().reshape(shape);
        return tape.record("reshape", y, dy -> tape.accumulateShared(x, dy.reshape(in)), x);
    }

    static Var transpose(Tape tape, Var x, int d0, int d1) {
        Tensor y = x.value().transpose(d0, d1);
        return tape.record("transpose", y, dy -> tape.accumulateShared(x, dy.transpose(d0, d1)), x);
    }

    /** Output dim i is input dim order[i]; backward applies the inverse permutation. */
    static Var permute(Tape tape, Var x, int... order) {
        Tensor y = x.value().permute(order);
        int r = order.length;
        int[] inverse = new int[r];
        for (int i = 0; i < r; i++) inverse[Shapes.dim(order[i], x.shape())] = i;
        return tape.record("permute", y, dy -> tape.accumulateShared(x, dy.permute(inverse)), x);
    }

    /** Elements start..start+length-1 of dim. */
    static Var narrow(Tape tape, Var x, int dim, int start, int length) {
        Kernels k = tape.kernels();
        Tensor y = x.value().narrow(dim, start, length);
        return tape.record("narrow", y, dy -> k.addInPlace(tape.ownedGrad(x).narrow(dim, start, length), dy), x);
    }

    /** [start:end:step] along dim. */
    static Var slice(Tape tape, Var x, int dim, int start, int end, int step) {
        Kernels k = tape.kernels();
        Tensor y = x.value().slice(dim, start, end, step);
        return tape.record("slice", y, dy -> k.addInPlace(tape.ownedGrad(x).slice(dim, start, end, step), dy), x);
    }

    /** Index {@code index} of dim, dim removed. */
    static Var select(Tape tape, Var x, int dim, int index) {
        Kernels k = tape.kernels();
        Tensor y = x.value().select(dim, index);
        return tape.record("select", y, dy -> k.addInPlace(tape.ownedGrad(x).select(dim, index), dy), x);
    }

    /** A contiguous copy (for kernels or callers that want row-major data); the gradient passes through. */
    static Var contiguous(Tape tape, Var x) {
        Tensor y = x.value().isContiguous() ? x.value() : x.value().copy();
        return tape.record("contiguous", y, dy -> tape.accumulateShared(x, dy), x);
    }

    static Var concat(Tape tape, int dim, Var... xs) {
        Tensor[] vals = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) vals[i] = xs[i].value();
        Tensor y = tape.kernels().concat(dim, vals);
        return tape.record("concat", y, dy -> {
            int at = 0;
            for (Var x : xs) {
                int len = x.size(dim);
                tape.accumulateShared(x, dy.narrow(dim, at, len));
                at += len;
            }
        }, xs);
    }
}
