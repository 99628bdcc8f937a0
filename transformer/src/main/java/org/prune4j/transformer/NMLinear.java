package org.prune4j.transformer;

import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.NMWeight;
import org.prune4j.tensor.Tensor;

/**
 * A linear layer whose weight runs N:M-compressed: inference calls {@code Kernels.linearNM}, which reads only the
 * kept weights (decode is memory-bound, so fewer bytes is faster). The dense weight stays the layer's {@link #weight()}
 * for pruning, training and saving, so a recording tape (training) and a weight replaced since compression both take
 * the dense {@code tape.linear}: the compressed copy is only used while it is exactly the weight.
 *
 * @param weight  the dense weight [out, in] (the model's parameter)
 * @param bias    the bias [out], or null
 * @param packed  {@code weight}'s value compressed
 * @param source  the tensor {@code packed} was made from (identity, not equality, tells whether it is still current)
 * @param prefill whether inputs of more than one row (prefill) run compressed too; when false they take the dense
 *                {@code tape.linear}, and only decoding (one row) reads the compressed copy
 */
public record NMLinear(Var weight, Var bias, NMWeight packed, Tensor source, boolean prefill) implements LinearLayer {
    public NMLinear {
        if (weight == null || packed == null) throw new IllegalArgumentException("an N:M linear layer needs its weight and its compressed copy");
        if (packed.rows() != weight.size(0) || packed.cols() != weight.size(1))
            throw new IllegalArgumentException("compressed weight [" + packed.rows() + ", " + packed.cols() + "] for a weight of shape "
                    + java.util.Arrays.toString(weight.shape()));
    }

    /** Compresses {@code dense}'s current weight to {@code packed}'s pattern, for decode and prefill alike. */
    public static NMLinear of(LinearLayer dense, NMWeight packed) {
        return of(dense, packed, true);
    }

    /** The same, with prefill (inputs of more than one row) compressed only when {@code prefill}. */
    public static NMLinear of(LinearLayer dense, NMWeight packed, boolean prefill) {
        return new NMLinear(dense.weight(), dense.bias(), packed, dense.weight().value(), prefill);
    }

    @Override
    public Var forward(Tape tape, Var x) {
        if (tape.isRecording() || weight.value() != source || !prefill && x.value().numel() > packed.cols())
            return tape.linear(x, weight, bias);
        return Var.constant(tape.kernels().linearNM(x.value(), packed, bias == null ? null : bias.value()));
    }
}
