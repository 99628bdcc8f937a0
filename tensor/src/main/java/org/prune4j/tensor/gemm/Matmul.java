package org.prune4j.tensor.gemm;

import java.util.Arrays;
import org.prune4j.tensor.MatmulShape;
import org.prune4j.tensor.ShapeException;
import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;

/**
 * Tensor-level products for the fast CPU backend: what {@code VectorKernels.matmul} and {@code linear} call. Sorts a
 * product into the kernel that fits it: {@link Gemv} when one side is a single row or column (decode), one
 * {@link Sgemm} over all rows when a batch multiplies the same matrix (the batch folds into m), else one product per
 * batch entry (in parallel when there are enough of them). Results are fresh contiguous F32 heap tensors.
 */
public final class Matmul {
    private Matmul() {}

    /** a [..., M, K] @ b [..., K, N] -> [..., M, N] with broadcast batch dims; operands of any layout and dtype. */
    public static Tensor matmul(Tensor a, Tensor b, int threads) {
        MatmulShape s = MatmulShape.of(a, b);
        float[] out = new float[Shapes.checkedArrayLength(s.outShape())];
        Tensor result = Tensor.of(out, s.outShape());
        int m = s.m(), k = s.k(), n = s.n();
        if (out.length == 0 || k == 0) return result;
        Tensor ea = a.expand(s.aExpanded()), eb = b.expand(s.bExpanded());
        int r = s.batchShape().length;
        long batch = s.batch();
        long[] bst = eb.strides();
        boolean bShared = true;
        for (int d = 0; d < r; d++) if (s.batchShape()[d] > 1 && bst[d] != 0) bShared = false;
        long foldRs = foldedStride(ea.shape(), ea.strides(), r);
        if (batch > 1 && bShared && foldRs != NOT_FOLDABLE && batch * m <= Integer.MAX_VALUE) {
            // x [B, T, K] @ W [K, N]: one GEMM over B·T rows, so W is packed once
            Operand oa = new Operand(a.storage(), ea.offset(), foldRs, ea.stride(-1), (int) (batch * m), k);
            Operand ob = new Operand(b.storage(), eb.offset(), eb.stride(-2), eb.stride(-1), k, n);
            product(threads, oa, ob, out, 0, n);
            return result;
        }
        long ars = ea.stride(-2), acs = ea.stride(-1), brs = eb.stride(-2), bcs = eb.stride(-1);
        boolean perThread = threads > 1 && batch >= threads && (batch % threads == 0 || batch >= 4L * threads);
        int inner = perThread ? 1 : threads;
        java.util.function.IntConsumer body = bi -> {
            Operand oa = new Operand(a.storage(), s.batchOffset(ea, bi), ars, acs, m, k);
            Operand ob = new Operand(b.storage(), s.batchOffset(eb, bi), brs, bcs, k, n);
            product(inner, oa, ob, out, bi * m * n, n);
        };
        // batch fits an int: the output array holds batch·m·n > 0 elements
        if (perThread) Work.forEach(threads, (int) batch, body);
        else for (int bi = 0; bi < batch; bi++) body.accept(bi);
        return result;
    }

    /**
     * x [..., K] @ w [N, K]ᵀ + bias [N] -> [..., N]: Hugging Face's linear layer with the bias written into the output
     * before the product accumulates onto it (no second pass). Other weight ranks or bias shapes take the general path.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias, int threads) {
        MatmulShape s = MatmulShape.of(x, w.t());
        if (w.rank() != 2) return addBias(matmul(x, w.t(), threads), bias);
        int n = w.size(0), k = w.size(1);
        boolean fusedBias = bias != null && bias.rank() == 1 && bias.size(0) == n;
        if (bias != null && !fusedBias) return addBias(matmul(x, w.t(), threads), bias);
        float[] out = new float[Shapes.checkedArrayLength(s.outShape())];
        Tensor result = Tensor.of(out, s.outShape());
        if (out.length == 0) return result;
        int rows = out.length / n;
        if (fusedBias) {
            float[] bv = bias.toFloatArray();
            for (int i = 0; i < rows; i++) System.arraycopy(bv, 0, out, i * n, n);
        }
        if (k == 0) return result;
        long rs = foldedStride(x.shape(), x.strides(), x.rank() - 2);
        Tensor xs = x;
        if (rs == NOT_FOLDABLE) {
            xs = x.copy();
            rs = k;
        }
        Operand oa = new Operand(xs.storage(), xs.offset(), rs, xs.stride(-1), rows, k);
        Operand ob = new Operand(w.storage(), w.offset(), w.stride(1), w.stride(0), k, n);
        product(threads, oa, ob, out, 0, n);
        return result;
    }

    /** out + bias with broadcasting, in place in out's fresh array (bias must broadcast to out's shape). */
    private static Tensor addBias(Tensor out, Tensor bias) {
        if (bias == null) return out;
        int[] shape = out.shape();
        int[] bs;
        try {
            bs = Shapes.broadcast(shape, bias.shape());
        } catch (ShapeException e) {
            throw new ShapeException("linear: bias of shape " + Shapes.str(bias.shape()) + " does not broadcast to the output shape " + Shapes.str(shape));
        }
        if (!Arrays.equals(bs, shape))
            throw new ShapeException("linear: bias of shape " + Shapes.str(bias.shape()) + " would enlarge the output shape " + Shapes.str(shape) + " to " + Shapes.str(bs));
        float[] o = out.array();
        Tensor eb = bias.expand(shape);
        for (int i = 0; i < o.length; i++) o[i] += eb.getFlat(i);
        return out;
    }

    private static volatile boolean warmedUp;

    /**
     * Makes the JIT compile the product kernels now, cheaply: thousands of calls on tiny operands (about 0.1-0.3 s of
     * CPU) instead of the first real products running interpreted, where Vector API code is 100-1000x slower. C2 then
     * compiles in the background. Idempotent; benchmarks call it before timing, long-running commands may call it early.
     */
    public static void warmUp() {
        if (warmedUp) return;
        // loops of ~10 vector steps per call, so back-edge counts reach C2's thresholds within 1500 calls
        Tensor a = Tensor.randn(1, 1f, 7, 160), b = Tensor.randn(2, 1f, 160, Sgemm.DEFAULT.nr() + 3), w = Tensor.randn(3, 1f, 5, 160);
        Tensor x = a.narrow(0, 0, 1);
        Tensor wb = w.to(org.prune4j.tensor.DType.BF16, java.lang.foreign.Arena.ofAuto()), wh = w.to(org.prune4j.tensor.DType.F16, java.lang.foreign.Arena.ofAuto());
        Tensor at = a.t().contiguous().t(); // column-major A: the packed-A path
        Runnable products = () -> {
            matmul(a, b, 1);
            matmul(at, b, 1);
            matmul(x, w.t(), 1);
            matmul(x, wb.t(), 1);
            matmul(x, wh.t(), 1);
            matmul(x, b, 1);
        };
        // first load every class the paths touch: a class loaded after C2 compiled the kernel can invalidate it
        products.run();
        int nr = Sgemm.DEFAULT.nr();
        float[] c = new float[MicroKernel.MR * nr], edge = new float[c.length], rows = new float[MicroKernel.MR * 2];
        if (Sgemm.DEFAULT.nv() == 4) {
            java.lang.foreign.MemorySegment ap = PackBuffers.acquire(4L * MicroKernel.MR * 2), bp = PackBuffers.acquire(4L * 2 * nr);
            try {
                for (int i = 0; i < 12_000; i++) {
                    MicroKernel.kernel6x4(ap, 0, bp, 0, 2, c, 0, nr);
                    MicroKernel.kernel6x4Heap(rows, 0, 2, 4, 6, 8, 10, bp, 0, 2, c, 0, nr);
                }
                for (int i = 0; i < 1_000; i++) {
                    MicroKernel.edge6x4(ap, 0, bp, 0, 2, c, 0, nr, 5, 7, edge);
                    MicroKernel.edge6x4Heap(rows, 0, 2, 5, bp, 0, 2, c, 0, nr, 7, edge);
                }
            } finally {
                PackBuffers.release(ap);
                PackBuffers.release(bp);
            }
        } else {
            float[] bh = new float[2 * nr], scratchRows = new float[MicroKernel.MR * 2];
            for (int i = 0; i < 12_000; i++) MicroKernel.kernel6x2(rows, 0, 2, bh, 0, 2, c, 0, nr);
            for (int i = 0; i < 1_000; i++) MicroKernel.edge6x2(rows, 0, 2, 5, bh, 0, 2, c, 0, nr, 7, scratchRows, edge);
        }
        for (int i = 0; i < 1_500; i++) products.run();
        warmedUp = true;
    }

    /** C[m, n] (at c[cOff + i·ldc + j]) += A·B, choosing GEMV for a single row or column, else SGEMM. */
    static void product(int threads, Operand a, Operand b, float[] c, int cOff, int ldc) {
        int m = a.rows, k = a.cols, n = b.cols;
        if (m == 0 || n == 0 || k == 0) return;
        if (m == 1 && (b.rs == 1 || b.cs == 1)) {
            float[] x = new float[k];
            a.readRow(0, 0, k, x, 0);
            if (b.rs == 1) Gemv.rowsDot(threads, x, 0, b.transposed(), c, cOff, 1); // W [n, k] rows along k
            else Gemv.rowsAxpy(threads, x, 0, b, c, cOff);                           // W [k, n] rows along n
            return;
        }
        if (n == 1 && a.cs == 1) {
            float[] x = new float[k];
            b.readCol(0, 0, k, x, 0);
            Gemv.rowsDot(threads, x, 0, a, c, cOff, ldc);
            return;
        }
        Sgemm.gemm(threads, a, b, c, cOff, ldc);
    }

    static final long NOT_FOLDABLE = Long.MIN_VALUE;

    /**
     * The single stride that walks dims 0..last (inclusive) as one flattened dim, or {@link #NOT_FOLDABLE}. Size-1 dims
     * are free; when every dim has size 1 any stride works (0 is returned).
     */
    static long foldedStride(int[] shape, long[] strides, int last) {
        long base = 0, expect = -1;
        boolean found = false;
        for (int d = last; d >= 0; d--) {
            if (shape[d] == 1) continue;
            if (!found) {
                found = true;
                base = strides[d];
                expect = base * shape[d];
            } else {
                if (strides[d] != expect) return NOT_FOLDABLE;
                expect *= shape[d];
            }
        }
        return base;
    }
}
