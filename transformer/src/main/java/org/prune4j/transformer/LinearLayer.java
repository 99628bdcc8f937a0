package org.prune4j.transformer;

import java.util.Map;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;

/**
 * What one linear layer of a decoder layer is: y = x·Wᵀ + b computed some way (dense; dense + LoRA adapters; an
 * N:M-compressed weight). The one seam through which adapters and sparse kernels enter the model, so neither is a
 * special case spread through {@link DecoderLayer}. Every implementation still exposes its dense weight [out, in]
 * and bias [out] as variables, because pruning reads and replaces them and checkpoints save them (an inference-only
 * compressed layer decompresses it on demand: {@link NMLinear#compressedOnly}).
 */
public interface LinearLayer {
    /** x [..., in] -> [..., out] on the tape (recording for training, non-recording for inference). */
    Var forward(Tape tape, Var x);

    /** The dense weight [out, in] (Hugging Face layout). */
    Var weight();

    /** The bias [out], or null. */
    Var bias();

    /** [out, in] of the weight, without materializing it (a compressed-only layer would decompress for {@link #weight}). */
    default int[] weightShape() { return weight().shape(); }

    /** Trainable parameters beyond weight and bias (LoRA's A and B), by name; saved apart from the model. */
    default Map<String, Var> extraParameters() { return Map.of(); }

    /** The plain layer: {@code tape.linear(x, W, b)}. */
    record Dense(Var weight, Var bias) implements LinearLayer {
        public Dense {
            if (weight == null) throw new IllegalArgumentException("a linear layer needs a weight");
        }

        @Override public Var forward(Tape tape, Var x) { return tape.linear(x, weight, bias); }
    }
}
