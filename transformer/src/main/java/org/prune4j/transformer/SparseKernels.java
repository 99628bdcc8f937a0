package org.prune4j.transformer;

import org.prune4j.tensor.DType;
import org.prune4j.tensor.NM;
import org.prune4j.tensor.NMWeight;
import org.prune4j.tensor.Tensor;

/**
 * Which linear layers of a model run N:M-compressed ({@code --sparse-kernels auto|on|off}). A weight qualifies when
 * every group of M inputs (M = 4, 8 or 16; the pattern storing it in the fewest bytes) has at least one zero, i.e.
 * it is exactly N:M for some N: then {@link NMLinear} computes with the compressed copy and gives the dense result up
 * to float summation order. What auto picks depends on the CPU: on AVX2 (8-float vectors) the decode kernel that wins
 * is the panel kernel, which holds 2:4 and 4:8 (not 8:16), so a weight whose best pattern is 8:16 stays dense there.
 * Each compressed layer holds one compressed copy (the panel where the decode kernel reads it, else the NMWeight).
 */
public final class SparseKernels {
    private SparseKernels() {}

    /**
     * off: all dense. on: every qualifying weight compressed, for decode and prefill, and its dense copy dropped
     * (inference only: {@link NMLinear#compressedOnly}). auto: those whose decode kernel the backend expects to beat
     * dense on this CPU ({@code Kernels.sparseDecodeWins}: at most {@link #AUTO_MAX_BYTES} of the dense bytes, and a
     * kernel that is fast on this vector width), compressed for decode only: prefill keeps the dense GEMM, which the
     * compressed one (dense arithmetic plus mask decoding) does not beat, so the dense weight stays beside the copy.
     */
    public enum Mode { AUTO, ON, OFF }

    /** Group sizes tried: those of the 2:4, 4:8 and 8:16 patterns. */
    static final int[] GROUPS = {4, 8, 16};

    /**
     * auto compresses a weight only when it reads at most this fraction of the dense bytes: the decode kernel's time
     * follows bytes, and below 1 - 0.2 the mask-and-expand work is not paid back (1:4 F32 reads 0.78).
     */
    public static final double AUTO_MAX_BYTES = 0.8;

    /**
     * What {@link #apply} did: linear layers compressed, of how many, the bytes of their compressed copies (what the
     * decode kernel reads) vs their dense bytes, and whether the dense weights were dropped.
     */
    public record Report(int compressed, int linears, long nmBytes, long denseBytes, String patterns, boolean denseDropped) {}

    /**
     * Installs {@link NMLinear} (or, for OFF, nothing) on the layers of {@code m} that qualify under {@code mode}; each
     * keeps one compressed copy, in the form the backend's kernels read. ON leaves the model fit for inference only.
     */
    public static Report apply(LlamaModel m, Mode mode) {
        int compressed = 0, linears = 0;
        long nmBytes = 0, denseBytes = 0;
        java.util.TreeMap<String, Integer> patterns = new java.util.TreeMap<>();
        boolean kernels = m.kernels().hasSparseKernels();
        for (int i = 0; i < m.numLayers(); i++) {
            DecoderLayer layer = m.layer(i);
            for (Linear l : Linear.values()) {
                linears++;
                if (mode == Mode.OFF || mode == Mode.AUTO && !kernels) continue;
                Tensor w = layer.weight(l);
                DType storage = w.dtype().isWeightType() ? w.dtype() : DType.F32;
                NM nm = NMWeight.bestPattern(w, storage, GROUPS);
                if (nm == null) continue;
                NMWeight packed = NMWeight.compress(w, nm, storage, l.weightName(i));
                long dense = w.numel() * storage.size;
                if (mode == Mode.AUTO && !m.kernels().sparseDecodeWins(packed, AUTO_MAX_BYTES)) continue;
                NMLinear nml = mode == Mode.ON ? NMLinear.compressedOnly(layer.linear(l), packed, m.kernels(), l.weightName(i))
                        : NMLinear.keepingDense(layer.linear(l), packed, m.kernels(), l.weightName(i));
                layer.setLinear(l, nml);
                compressed++;
                nmBytes += nml.compressedBytes();
                denseBytes += dense;
                patterns.merge(nm.label(), 1, Integer::sum);
            }
        }
        return new Report(compressed, linears, nmBytes, denseBytes, patterns.toString(), mode == Mode.ON);
    }
}
