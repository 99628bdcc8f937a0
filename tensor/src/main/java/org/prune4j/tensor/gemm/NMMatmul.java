package org.prune4j.tensor.gemm;

import java.util.function.BiConsumer;
import org.prune4j.tensor.NMWeight;
import org.prune4j.tensor.ShapeException;
import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;

/**
 * x [..., K] @ Wᵀ + bias with an N:M-compressed W [N, K], what {@code VectorKernels.linearNM} calls. One row of
 * activations (decode) runs {@link NMGemv}, which reads only the kept values and mask bits. Several rows (prefill)
 * run {@link Sgemm} with B = Wᵀ decoded straight into its packed panels (no dense copy of W is ever made), from the
 * NMWeight or from the {@link NMPanel}, whichever the layer keeps; the GEMM does the dense amount of arithmetic, so
 * prefill gains at most what packing reads less.
 */
public final class NMMatmul {
    private NMMatmul() {}

    /** x [..., K] @ Wᵀ (+ bias [N]) -> [..., N], a fresh F32 heap tensor. */
    public static Tensor linear(Tensor x, NMWeight w, Tensor bias, int threads) {
        return linear(x, w.rows(), w.cols(), bias, new Operand(w), (xv, y) -> NMGemv.rowsDot(threads, xv, 0, w, y, 0), threads);
    }

    /** The same with W held as its decode layout ({@link NMPanel}): the GEMM packs B from the panel. */
    public static Tensor linear(Tensor x, NMPanel w, Tensor bias, int threads) {
        return linear(x, w.rows(), w.cols(), bias, new Operand(w), (xv, y) -> NMGemv.rowsDot(threads, xv, 0, w, y, 0), threads);
    }

    /** Shared by both forms: {@code b} is B = Wᵀ [k, n] for the GEMM, {@code gemv} adds W·x to y for one row. */
    private static Tensor linear(Tensor x, int n, int k, Tensor bias, Operand b,
                                 BiConsumer<float[], float[]> gemv, int threads) {
        if (x.rank() < 1 || x.size(-1) != k)
            throw new ShapeException("linearNM: input " + Shapes.str(x.shape()) + " does not end in the weight's " + k + " inputs (weight [" + n + ", " + k + "])");
        if (bias != null && (bias.rank() != 1 || bias.size(0) != n))
            throw new ShapeException("linearNM: bias of shape " + Shapes.str(bias.shape()) + " for a weight of " + n + " outputs");
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = n;
        float[] out = new float[Shapes.checkedArrayLength(outShape)];
        Tensor result = Tensor.of(out, outShape);
        if (out.length == 0) return result;
        int rows = out.length / n;
        if (bias != null) {
            float[] bv = bias.toFloatArray();
            for (int i = 0; i < rows; i++) System.arraycopy(bv, 0, out, i * n, n);
        }
        if (k == 0) return result;
        long rs = Matmul.foldedStride(x.shape(), x.strides(), x.rank() - 2);
        Tensor xs = x;
        if (rs == Matmul.NOT_FOLDABLE) {
            xs = x.copy();
            rs = k;
        }
        Operand a = new Operand(xs.storage(), xs.offset(), rs, xs.stride(-1), rows, k);
        if (rows == 1) {
            float[] xv = new float[k];
            a.readRow(0, 0, k, xv, 0);
            gemv.accept(xv, out);
        } else {
            Sgemm.gemm(threads, a, b, out, 0, n);
        }
        return result;
    }
}
