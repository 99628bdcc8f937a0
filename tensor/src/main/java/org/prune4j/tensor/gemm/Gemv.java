package org.prune4j.tensor.gemm;

import org.prune4j.tensor.Lanes;

import static org.prune4j.tensor.gemm.Operand.F;
import static org.prune4j.tensor.gemm.Operand.H;
import static org.prune4j.tensor.gemm.Operand.L;
import static org.prune4j.tensor.gemm.Operand.LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Matrix-vector products, the decode path: one token's activations against a weight matrix. Memory-bound, so each
 * kernel reads every weight exactly once, straight from where it lives (heap floats, or a memory-mapped F32/BF16/F16
 * checkpoint: BF16 is widened in registers, so decode reads half the bytes), and splits the weight rows over threads.
 */
public final class Gemv {
    private Gemv() {}

    /** Rows of W per task at least this many bytes of weights: smaller splits cost more than they save. */
    static final long MIN_BYTES_PER_THREAD = 256 * 1024;

    /**
     * y[yOff + i·yStride] (+)= Σ_k x[xOff + k] · W[i, k] for i in [0, W.rows): W's rows are contiguous along k
     * ({@code w.cs == 1}), as in Hugging Face's [out, in] linear weights. Adds to y.
     */
    static void rowsDot(int threads, float[] x, int xOff, Operand w, float[] y, int yOff, int yStride) {
        int n = w.rows, k = w.cols;
        if (w.cs != 1) throw new IllegalArgumentException("rowsDot needs rows contiguous along k, column stride is " + w.cs);
        if (n == 0 || k == 0) return;
        long bytes = (long) n * k * (w.kind == Operand.BF16 || w.kind == Operand.F16 ? 2 : 4);
        int t = (int) Math.max(1, Math.min(threads, bytes / MIN_BYTES_PER_THREAD));
        int rowsPerItem = itemSize(n, t, 4);
        Work.forEach(t, ceil(n, rowsPerItem), item -> {
            int r0 = item * rowsPerItem, r1 = Math.min(n, r0 + rowsPerItem);
            switch (w.kind) {
                case Operand.HEAP -> dotHeap(x, xOff, w, r0, r1, y, yOff, yStride);
                case Operand.F32 -> dotF32(x, xOff, w, r0, r1, y, yOff, yStride);
                case Operand.BF16 -> dotBf16(x, xOff, w, r0, r1, y, yOff, yStride);
                default -> dotConverted(x, xOff, w, r0, r1, y, yOff, yStride);
            }
        });
    }

    /**
     * y[yOff + j] (+)= Σ_k x[xOff + k] · W[k, j] for j in [0, W.cols): W's rows are contiguous along j
     * ({@code w.cs == 1}), the x·W orientation. Threads take column ranges; each accumulates its slice of y in L1 while
     * streaming four weight rows at a time. Adds to y.
     */
    static void rowsAxpy(int threads, float[] x, int xOff, Operand w, float[] y, int yOff) {
        int k = w.rows, n = w.cols;
        if (w.cs != 1) throw new IllegalArgumentException("rowsAxpy needs rows contiguous along n, column stride is " + w.cs);
        if (n == 0 || k == 0) return;
        long bytes = (long) n * k * (w.kind == Operand.BF16 || w.kind == Operand.F16 ? 2 : 4);
        int t = (int) Math.max(1, Math.min(threads, bytes / MIN_BYTES_PER_THREAD));
        // column chunks a whole number of vectors (64-byte lines of y and W stay with one thread)
        int vecs = (n + L - 1) / L;
        int vecsPerItem = itemSize(vecs, t, 8);
        Work.forEach(t, ceil(vecs, vecsPerItem), item -> {
            int j0 = item * vecsPerItem * L, j1 = Math.min(n, (item + 1) * vecsPerItem * L);
            if (w.kind == Operand.HEAP) axpyHeap(x, xOff, w, j0, j1, y, yOff);
            else axpyConverted(x, xOff, w, j0, j1, y, yOff);
        });
    }

    /** Items of a multiple of {@code align} units, about 8 per thread so a preempted thread holds up little. */
    static int itemSize(int units, int threads, int align) {
        if (threads <= 1) return Math.max(units, 1);
        int per = Math.max(align, units / (8 * threads));
        return (per + align - 1) / align * align;
    }

    static int ceil(int a, int b) {
        return (a + b - 1) / b;
    }

    // ------------------------------------------------------------------ y = W x, rows contiguous

    /** W rows from a heap array; eight rows per pass (eight weight streams in flight measured 12% faster than four). */
    private static void dotHeap(float[] x, int xOff, Operand w, int r0, int r1, float[] y, int yOff, int ys) {
        int k = w.cols, rs = (int) w.rs, bound = k - k % L;
        float[] h = w.heap;
        int r = r0;
        for (; r + 8 <= r1; r += 8) {
            int b0 = (int) w.index(r, 0), b1 = b0 + rs, b2 = b1 + rs, b3 = b2 + rs, b4 = b3 + rs, b5 = b4 + rs, b6 = b5 + rs, b7 = b6 + rs;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            for (int i = 0; i < bound; i += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
                s0 = FloatVector.fromArray(F, h, b0 + i).fma(xv, s0);
                s1 = FloatVector.fromArray(F, h, b1 + i).fma(xv, s1);
                s2 = FloatVector.fromArray(F, h, b2 + i).fma(xv, s2);
                s3 = FloatVector.fromArray(F, h, b3 + i).fma(xv, s3);
                s4 = FloatVector.fromArray(F, h, b4 + i).fma(xv, s4);
                s5 = FloatVector.fromArray(F, h, b5 + i).fma(xv, s5);
                s6 = FloatVector.fromArray(F, h, b6 + i).fma(xv, s6);
                s7 = FloatVector.fromArray(F, h, b7 + i).fma(xv, s7);
            }
            float[] t = {Lanes.sum(s0), Lanes.sum(s1), Lanes.sum(s2), Lanes.sum(s3),
                    Lanes.sum(s4), Lanes.sum(s5), Lanes.sum(s6), Lanes.sum(s7)};
            for (int q = 0; q < 8; q++) {
                int bq = b0 + q * rs;
                float tq = t[q];
                for (int i = bound; i < k; i++) tq += h[bq + i] * x[xOff + i];
                y[yOff + (r + q) * ys] += tq;
            }
        }
        for (; r + 4 <= r1; r += 4) {
            int b0 = (int) w.index(r, 0), b1 = b0 + rs, b2 = b1 + rs, b3 = b2 + rs;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int i = 0; i < bound; i += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
                s0 = FloatVector.fromArray(F, h, b0 + i).fma(xv, s0);
                s1 = FloatVector.fromArray(F, h, b1 + i).fma(xv, s1);
                s2 = FloatVector.fromArray(F, h, b2 + i).fma(xv, s2);
                s3 = FloatVector.fromArray(F, h, b3 + i).fma(xv, s3);
            }
            float t0 = Lanes.sum(s0), t1 = Lanes.sum(s1);
            float t2 = Lanes.sum(s2), t3 = Lanes.sum(s3);
            for (int i = bound; i < k; i++) {
                float xi = x[xOff + i];
                t0 += h[b0 + i] * xi;
                t1 += h[b1 + i] * xi;
                t2 += h[b2 + i] * xi;
                t3 += h[b3 + i] * xi;
            }
            y[yOff + r * ys] += t0;
            y[yOff + (r + 1) * ys] += t1;
            y[yOff + (r + 2) * ys] += t2;
            y[yOff + (r + 3) * ys] += t3;
        }
        for (; r < r1; r++) {
            int b0 = (int) w.index(r, 0);
            FloatVector s0 = FloatVector.zero(F);
            for (int i = 0; i < bound; i += L) s0 = FloatVector.fromArray(F, h, b0 + i).fma(FloatVector.fromArray(F, x, xOff + i), s0);
            float t0 = Lanes.sum(s0);
            for (int i = bound; i < k; i++) t0 += h[b0 + i] * x[xOff + i];
            y[yOff + r * ys] += t0;
        }
    }

    private static void dotF32(float[] x, int xOff, Operand w, int r0, int r1, float[] y, int yOff, int ys) {
        int k = w.cols, bound = k - k % L;
        long rsb = w.rs * 4;
        MemorySegment s = w.seg;
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            long b0 = w.index(r, 0) * 4, b1 = b0 + rsb, b2 = b1 + rsb, b3 = b2 + rsb;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int i = 0; i < bound; i += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
                long o = 4L * i;
                s0 = FloatVector.fromMemorySegment(F, s, b0 + o, LE).fma(xv, s0);
                s1 = FloatVector.fromMemorySegment(F, s, b1 + o, LE).fma(xv, s1);
                s2 = FloatVector.fromMemorySegment(F, s, b2 + o, LE).fma(xv, s2);
                s3 = FloatVector.fromMemorySegment(F, s, b3 + o, LE).fma(xv, s3);
            }
            float t0 = Lanes.sum(s0), t1 = Lanes.sum(s1);
            float t2 = Lanes.sum(s2), t3 = Lanes.sum(s3);
            for (int i = bound; i < k; i++) {
                float xi = x[xOff + i];
                long o = 4L * i;
                t0 += s.get(Operand.F32_LE, b0 + o) * xi;
                t1 += s.get(Operand.F32_LE, b1 + o) * xi;
                t2 += s.get(Operand.F32_LE, b2 + o) * xi;
                t3 += s.get(Operand.F32_LE, b3 + o) * xi;
            }
            y[yOff + r * ys] += t0;
            y[yOff + (r + 1) * ys] += t1;
            y[yOff + (r + 2) * ys] += t2;
            y[yOff + (r + 3) * ys] += t3;
        }
        for (; r < r1; r++) {
            long b0 = w.index(r, 0) * 4;
            FloatVector s0 = FloatVector.zero(F);
            for (int i = 0; i < bound; i += L)
                s0 = FloatVector.fromMemorySegment(F, s, b0 + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOff + i), s0);
            float t0 = Lanes.sum(s0);
            for (int i = bound; i < k; i++) t0 += s.get(Operand.F32_LE, b0 + 4L * i) * x[xOff + i];
            y[yOff + r * ys] += t0;
        }
    }

    private static void dotBf16(float[] x, int xOff, Operand w, int r0, int r1, float[] y, int yOff, int ys) {
        int k = w.cols, bound = k - k % L;
        long rsb = w.rs * 2;
        MemorySegment s = w.seg;
        int r = r0;
        for (; r + 8 <= r1; r += 8) {
            long b0 = w.index(r, 0) * 2, b1 = b0 + rsb, b2 = b1 + rsb, b3 = b2 + rsb, b4 = b3 + rsb, b5 = b4 + rsb, b6 = b5 + rsb, b7 = b6 + rsb;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            for (int i = 0; i < bound; i += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
                long o = 2L * i;
                s0 = Operand.bf16(ShortVector.fromMemorySegment(H, s, b0 + o, LE)).fma(xv, s0);
                s1 = Operand.bf16(ShortVector.fromMemorySegment(H, s, b1 + o, LE)).fma(xv, s1);
                s2 = Operand.bf16(ShortVector.fromMemorySegment(H, s, b2 + o, LE)).fma(xv, s2);
                s3 = Operand.bf16(ShortVector.fromMemorySegment(H, s, b3 + o, LE)).fma(xv, s3);
                s4 = Operand.bf16(ShortVector.fromMemorySegment(H, s, b4 + o, LE)).fma(xv, s4);
                s5 = Operand.bf16(ShortVector.fromMemorySegment(H, s, b5 + o, LE)).fma(xv, s5);
                s6 = Operand.bf16(ShortVector.fromMemorySegment(H, s, b6 + o, LE)).fma(xv, s6);
                s7 = Operand.bf16(ShortVector.fromMemorySegment(H, s, b7 + o, LE)).fma(xv, s7);
            }
            float[] t = {Lanes.sum(s0), Lanes.sum(s1), Lanes.sum(s2), Lanes.sum(s3),
                    Lanes.sum(s4), Lanes.sum(s5), Lanes.sum(s6), Lanes.sum(s7)};
            for (int q = 0; q < 8; q++) {
                long bq = b0 + q * rsb;
                float tq = t[q];
                for (int i = bound; i < k; i++) tq += org.prune4j.tensor.DType.bf16ToFloat(s.get(Operand.I16_LE, bq + 2L * i)) * x[xOff + i];
                y[yOff + (r + q) * ys] += tq;
            }
        }
        for (; r + 4 <= r1; r += 4) {
            long b0 = w.index(r, 0) * 2, b1 = b0 + rsb, b2 = b1 + rsb, b3 = b2 + rsb;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int i = 0; i < bound; i += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
                long o = 2L * i;
                s0 = Operand.bf16(ShortVector.fromMemorySegment(H, s, b0 + o, LE)).fma(xv, s0);
                s1 = Operand.bf16(ShortVector.fromMemorySegment(H, s, b1 + o, LE)).fma(xv, s1);
                s2 = Operand.bf16(ShortVector.fromMemorySegment(H, s, b2 + o, LE)).fma(xv, s2);
                s3 = Operand.bf16(ShortVector.fromMemorySegment(H, s, b3 + o, LE)).fma(xv, s3);
            }
            float t0 = Lanes.sum(s0), t1 = Lanes.sum(s1);
            float t2 = Lanes.sum(s2), t3 = Lanes.sum(s3);
            for (int i = bound; i < k; i++) {
                float xi = x[xOff + i];
                long o = 2L * i;
                t0 += org.prune4j.tensor.DType.bf16ToFloat(s.get(Operand.I16_LE, b0 + o)) * xi;
                t1 += org.prune4j.tensor.DType.bf16ToFloat(s.get(Operand.I16_LE, b1 + o)) * xi;
                t2 += org.prune4j.tensor.DType.bf16ToFloat(s.get(Operand.I16_LE, b2 + o)) * xi;
                t3 += org.prune4j.tensor.DType.bf16ToFloat(s.get(Operand.I16_LE, b3 + o)) * xi;
            }
            y[yOff + r * ys] += t0;
            y[yOff + (r + 1) * ys] += t1;
            y[yOff + (r + 2) * ys] += t2;
            y[yOff + (r + 3) * ys] += t3;
        }
        for (; r < r1; r++) {
            long b0 = w.index(r, 0) * 2;
            FloatVector s0 = FloatVector.zero(F);
            for (int i = 0; i < bound; i += L)
                s0 = Operand.bf16(ShortVector.fromMemorySegment(H, s, b0 + 2L * i, LE)).fma(FloatVector.fromArray(F, x, xOff + i), s0);
            float t0 = Lanes.sum(s0);
            for (int i = bound; i < k; i++) t0 += org.prune4j.tensor.DType.bf16ToFloat(s.get(Operand.I16_LE, b0 + 2L * i)) * x[xOff + i];
            y[yOff + r * ys] += t0;
        }
    }

    /** F16 and other dtypes: each row is widened into an L1 scratch row (vectorised for F16), then dotted. */
    private static void dotConverted(float[] x, int xOff, Operand w, int r0, int r1, float[] y, int yOff, int ys) {
        int k = w.cols, bound = k - k % L;
        float[] row = new float[k];
        for (int r = r0; r < r1; r++) {
            w.readRow(r, 0, k, row, 0);
            FloatVector s0 = FloatVector.zero(F);
            for (int i = 0; i < bound; i += L) s0 = FloatVector.fromArray(F, row, i).fma(FloatVector.fromArray(F, x, xOff + i), s0);
            float t0 = Lanes.sum(s0);
            for (int i = bound; i < k; i++) t0 += row[i] * x[xOff + i];
            y[yOff + r * ys] += t0;
        }
    }

    // ------------------------------------------------------------------ y = x W, rows contiguous along n

    private static void axpyHeap(float[] x, int xOff, Operand w, int j0, int j1, float[] y, int yOff) {
        int k = w.rows, rs = (int) w.rs;
        int vBound = j0 + (j1 - j0) / L * L;
        float[] h = w.heap;
        int p = 0;
        for (; p + 4 <= k; p += 4) {
            FloatVector x0 = FloatVector.broadcast(F, x[xOff + p]), x1 = FloatVector.broadcast(F, x[xOff + p + 1]);
            FloatVector x2 = FloatVector.broadcast(F, x[xOff + p + 2]), x3 = FloatVector.broadcast(F, x[xOff + p + 3]);
            int b0 = (int) w.index(p, 0), b1 = b0 + rs, b2 = b1 + rs, b3 = b2 + rs;
            int j = j0;
            for (; j < vBound; j += L) {
                FloatVector acc = FloatVector.fromArray(F, y, yOff + j);
                acc = FloatVector.fromArray(F, h, b0 + j).fma(x0, acc);
                acc = FloatVector.fromArray(F, h, b1 + j).fma(x1, acc);
                acc = FloatVector.fromArray(F, h, b2 + j).fma(x2, acc);
                acc = FloatVector.fromArray(F, h, b3 + j).fma(x3, acc);
                acc.intoArray(y, yOff + j);
            }
            for (; j < j1; j++)
                y[yOff + j] += h[b0 + j] * x[xOff + p] + h[b1 + j] * x[xOff + p + 1] + h[b2 + j] * x[xOff + p + 2] + h[b3 + j] * x[xOff + p + 3];
        }
        for (; p < k; p++) {
            FloatVector x0 = FloatVector.broadcast(F, x[xOff + p]);
            int b0 = (int) w.index(p, 0), j = j0;
            for (; j < vBound; j += L)
                FloatVector.fromArray(F, h, b0 + j).fma(x0, FloatVector.fromArray(F, y, yOff + j)).intoArray(y, yOff + j);
            for (; j < j1; j++) y[yOff + j] += h[b0 + j] * x[xOff + p];
        }
    }

    /** Segment-backed W in x·W orientation: each row slice is widened into scratch (vectorised), then accumulated. */
    private static void axpyConverted(float[] x, int xOff, Operand w, int j0, int j1, float[] y, int yOff) {
        int k = w.rows, len = j1 - j0, vBound = len / L * L;
        float[] row = new float[len];
        for (int p = 0; p < k; p++) {
            w.readRow(p, j0, len, row, 0);
            float xp = x[xOff + p];
            FloatVector xv = FloatVector.broadcast(F, xp);
            int j = 0;
            for (; j < vBound; j += L)
                FloatVector.fromArray(F, row, j).fma(xv, FloatVector.fromArray(F, y, yOff + j0 + j)).intoArray(y, yOff + j0 + j);
            for (; j < len; j++) y[yOff + j0 + j] += row[j] * xp;
        }
    }
}
