package org.prune4j.transformer;

import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.NMWeight;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.gemm.NMPanel;

/**
 * A linear layer whose weight runs N:M-compressed: inference calls {@code Kernels.linearNM}, which reads only the
 * kept weights (decode is memory-bound, so fewer bytes is faster). It holds ONE compressed copy, the form the
 * backend's decode kernel reads ({@link Kernels#prefersNMPanel}: the {@link NMPanel} layout, else the
 * {@link NMWeight}), and the prefill GEMM decodes from the same copy. Two ways to hold it:
 * <ul>
 *   <li>{@link #keepingDense} ({@code --sparse-kernels auto}): the dense weight stays the layer's {@link #weight()} for
 *   prefill (the dense GEMM), training, pruning and saving; only decoding (one row) reads the compressed copy, and
 *   only while it is exactly the weight (a recording tape or a weight replaced since compression run dense).
 *   <li>{@link #compressedOnly} ({@code --sparse-kernels on}, inference only): the dense weight is dropped, so the
 *   layer costs the compressed bytes alone (a heap tensor becomes garbage; a memory-mapped one is never read again).
 *   {@link #weight()} then decompresses on demand (a fresh constant per call, for saving or reading); training on
 *   such a layer is refused, and {@link DecoderLayer#setWeight} makes it dense again.
 * </ul>
 */
public final class NMLinear implements LinearLayer {
    private final Var dense;        // the model's weight [out, in], or null when dropped (compressedOnly)
    private final Var bias;         // [out], or null
    private final NMWeight packed;  // the compressed copy when the kernels read NMWeight, else null
    private final NMPanel panel;    // the compressed copy when they read the panel, else null
    private final Tensor source;    // dense.value() when compressed (identity tells whether it is still current)
    private final int rows, cols;
    private final String name;

    private NMLinear(Var dense, Var bias, NMWeight packed, NMPanel panel, String name) {
        if ((packed == null) == (panel == null)) throw new IllegalArgumentException(name + ": an N:M layer holds exactly one compressed form");
        this.rows = packed != null ? packed.rows() : panel.rows();
        this.cols = packed != null ? packed.cols() : panel.cols();
        if (dense != null && (dense.rank() != 2 || dense.size(0) != rows || dense.size(1) != cols))
            throw new IllegalArgumentException(name + ": compressed weight [" + rows + ", " + cols + "] for a weight of shape "
                    + java.util.Arrays.toString(dense.shape()));
        this.dense = dense;
        this.bias = bias;
        this.packed = packed;
        this.panel = panel;
        this.source = dense == null ? null : dense.value();
        this.name = name;
    }

    /** auto: {@code layer}'s weight, compressed as {@code packed}, decodes compressed; everything else stays dense. */
    public static NMLinear keepingDense(LinearLayer layer, NMWeight packed, Kernels k, String name) {
        if (layer.weight() == null) throw new IllegalArgumentException(name + ": an N:M linear layer needs its weight");
        return runtimeForm(layer.weight(), layer.bias(), packed, k, name);
    }

    /** on: decode and prefill compressed, the dense weight of {@code layer} no longer referenced (inference only). */
    public static NMLinear compressedOnly(LinearLayer layer, NMWeight packed, Kernels k, String name) {
        return runtimeForm(null, layer.bias(), packed, k, name);
    }

    private static NMLinear runtimeForm(Var dense, Var bias, NMWeight packed, Kernels k, String name) {
        if (packed == null) throw new IllegalArgumentException(name + ": an N:M linear layer needs its compressed copy");
        return k.prefersNMPanel(packed) ? new NMLinear(dense, bias, null, NMPanel.of(packed), name) : new NMLinear(dense, bias, packed, null, name);
    }

    @Override
    public Var forward(Tape tape, Var x) {
        if (dense == null) {
            if (tape.isRecording())
                throw new IllegalStateException(name + " runs N:M-compressed for inference only (--sparse-kernels on dropped its dense weight);"
                        + " training needs the dense weight: load the model without --sparse-kernels on");
            return Var.constant(linearNM(tape.kernels(), x.value()));
        }
        if (tape.isRecording() || dense.value() != source || x.value().numel() > cols) return tape.linear(x, dense, bias);
        return Var.constant(linearNM(tape.kernels(), x.value()));
    }

    private Tensor linearNM(Kernels k, Tensor x) {
        Tensor b = bias == null ? null : bias.value();
        return panel != null ? k.linearNM(x, panel, b) : k.linearNM(x, packed, b);
    }

    /** The dense weight, or (compressed-only) a fresh constant decompressed from the compressed copy. */
    @Override
    public Var weight() {
        return dense != null ? dense : Var.constant(decompress());
    }

    @Override
    public Var bias() { return bias; }

    @Override
    public int[] weightShape() { return new int[] {rows, cols}; }

    /** True when the layer still references the dense weight ({@link #keepingDense}). */
    public boolean holdsDense() { return dense != null; }

    /** Bytes of the compressed copy the layer holds (the NMWeight's or the panel's). */
    public long compressedBytes() { return panel != null ? panel.bytes() : packed.bytes(); }

    /** The compressed copy as a dense F32 heap tensor [out, in]. */
    public Tensor decompress() { return panel != null ? panel.decompress() : packed.decompress(); }

    /** F32, BF16 or F16: the dtype of the kept values. */
    public org.prune4j.tensor.DType storage() { return panel != null ? panel.storage() : packed.storage(); }

    /** The copy the kernels read is an {@link NMPanel} (else an {@link NMWeight}). */
    public boolean holdsPanel() { return panel != null; }
}
