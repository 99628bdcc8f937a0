package org.prune4j.tensor.gemm;

import static org.prune4j.tensor.gemm.MicroKernel.F;
import static org.prune4j.tensor.gemm.MicroKernel.FLOAT;
import static org.prune4j.tensor.gemm.MicroKernel.L;
import static org.prune4j.tensor.gemm.MicroKernel.MR;
import static org.prune4j.tensor.gemm.MicroKernel.NATIVE;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Copies blocks of A and B into the k-major panel layouts {@link MicroKernel} streams, converting any layout and dtype
 * to F32 on the way (so a BF16 weight mapped from a checkpoint is read in place, once per block). Panels past the
 * matrix edge are zero-padded, so edge tiles run the same kernel.
 */
final class Packing {
    private Packing() {}

    /** k rows per transposing chunk of a B panel: [KCHUNK, NR] floats stay in L1 while columns are scattered into it. */
    static final int KCHUNK = 64;

    /** Scratch rows for packing, sized for the largest block seen. */
    static final class Scratch {
        final float[] panel;
        final float[] row;

        Scratch(int kc, int nr, int ncb) {
            panel = new float[Math.max(kc * MR, KCHUNK * nr)];
            row = new float[Math.max(Math.max(kc, ncb), KCHUNK)];
        }

        boolean fits(int kc, int nr, int ncb) {
            return panel.length >= Math.max(kc * MR, KCHUNK * nr) && row.length >= Math.max(Math.max(kc, ncb), KCHUNK);
        }
    }

    /** One scratch per thread: packing never calls out of this class, so a thread cannot need two at once. */
    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

    /** This thread's scratch, grown when too small for (kc, nr, ncb). */
    static Scratch scratch(int kc, int nr, int ncb) {
        Scratch s = SCRATCH.get();
        if (s == null || !s.fits(kc, nr, ncb)) SCRATCH.set(s = new Scratch(kc, nr, ncb));
        return s;
    }

    /**
     * Packs rows [i0, i0+mc) × columns [p0, p0+kc) of A into ceil(mc/MR) panels at {@code dst + off}:
     * panel q holds, for each p, the MR values A[i0+q·MR+r, p0+p] (zeros for rows past mc).
     */
    static void packA(Operand a, int i0, int mc, int p0, int kc, MemorySegment dst, long off, Scratch s) {
        float[] panel = s.panel;
        for (int ir = 0; ir < mc; ir += MR, off += 4L * kc * MR) {
            int mr = Math.min(MR, mc - ir);
            if (a.kind == Operand.HEAP && a.cs == 1 && mr == MR) {
                // row-major heap A: six row streams, interleaved
                float[] h = a.heap;
                int rs = (int) a.rs, b = (int) a.index(i0 + ir, p0);
                for (int p = 0, q = 0; p < kc; p++, q += MR, b++) {
                    panel[q] = h[b];
                    panel[q + 1] = h[b + rs];
                    panel[q + 2] = h[b + 2 * rs];
                    panel[q + 3] = h[b + 3 * rs];
                    panel[q + 4] = h[b + 4 * rs];
                    panel[q + 5] = h[b + 5 * rs];
                }
            } else {
                if (mr < MR) Arrays.fill(panel, 0, kc * MR, 0f);
                if (a.rs == 1 && a.cs != 1) {
                    // column-major A (a transposed view): MR rows of one column are contiguous
                    for (int p = 0; p < kc; p++) a.readCol(p0 + p, i0 + ir, mr, panel, p * MR);
                } else {
                    float[] row = s.row;
                    for (int r = 0; r < mr; r++) {
                        a.readRow(i0 + ir + r, p0, kc, row, 0);
                        for (int p = 0, q = r; p < kc; p++, q += MR) panel[q] = row[p];
                    }
                }
            }
            MemorySegment.copy(panel, 0, dst, FLOAT, off, kc * MR);
        }
    }

    /**
     * Copies rows [r0, r0+rows) of A, all k columns, row-major into {@code dst} at {@code off} (row r at off + r·k),
     * converting any layout and dtype to F32: the A block of the 6×2 path. A column-major A (a transposed view) is
     * read column by column in chunks of KCHUNK columns, so its reads stay contiguous.
     */
    static void copyRows(Operand a, int r0, int rows, float[] dst, int off, Scratch s) {
        int k = a.cols;
        if (a.rs == 1 && a.cs != 1) {
            float[] panel = s.panel;
            int chunk = Math.max(1, Math.min(KCHUNK, panel.length / Math.max(1, rows)));
            for (int p0 = 0; p0 < k; p0 += chunk) {
                int pn = Math.min(chunk, k - p0);
                for (int p = 0; p < pn; p++) a.readCol(p0 + p, r0, rows, panel, p * rows);
                for (int r = 0; r < rows; r++)
                    for (int p = 0, o = off + r * k + p0; p < pn; p++) dst[o + p] = panel[p * rows + r];
            }
        } else {
            for (int r = 0; r < rows; r++) a.readRow(r0 + r, 0, k, dst, off + r * k);
        }
    }

    /**
     * Packs rows [p0, p0+kc) × columns [j0, j0+nc) of B into ceil(nc/nr) panels at {@code dst + off}:
     * panel q holds, for each p, the nr values B[p0+p, j0+q·nr+j] (zeros for columns past nc).
     */
    static void packB(Operand b, int p0, int kc, int j0, int nc, int nr, MemorySegment dst, long off, Scratch s) {
        for (int jr = 0; jr < nc; jr += nr, off += 4L * kc * nr) {
            int cols = Math.min(nr, nc - jr);
            if (b.cs == 1) packRowsContiguous(b, p0, kc, j0 + jr, cols, nr, dst, off, s);
            else packColumnsContiguous(b, p0, kc, j0 + jr, cols, nr, dst, off, s);
        }
    }

    /** B rows contiguous along n (row-major B): each k step copies nr consecutive values. */
    private static void packRowsContiguous(Operand b, int p0, int kc, int j, int cols, int nr, MemorySegment dst, long off, Scratch s) {
        if (b.kind == Operand.HEAP && cols == nr) {
            float[] h = b.heap;
            int rs = (int) b.rs;
            int src = (int) b.index(p0, j);
            for (int p = 0; p < kc; p++, src += rs, off += 4L * nr)
                for (int v = 0; v < nr; v += L)
                    FloatVector.fromArray(F, h, src + v).intoMemorySegment(dst, off + 4L * v, NATIVE);
            return;
        }
        float[] row = s.row;
        Arrays.fill(row, cols, nr, 0f);
        for (int p = 0; p < kc; p++, off += 4L * nr) {
            b.readRow(p0 + p, j, cols, row, 0);
            MemorySegment.copy(row, 0, dst, FLOAT, off, nr);
        }
    }

    /**
     * B columns contiguous along k (B is a transposed row-major W[N, K], the linear layout) or arbitrary strides: each
     * column is read as a run (vector-widened from BF16/F16) and scattered into a [KCHUNK, nr] block kept in L1.
     */
    private static void packColumnsContiguous(Operand b, int p0, int kc, int j, int cols, int nr, MemorySegment dst, long off, Scratch s) {
        float[] panel = s.panel, row = s.row;
        for (int k0 = 0; k0 < kc; k0 += KCHUNK) {
            int kn = Math.min(KCHUNK, kc - k0);
            if (cols < nr) Arrays.fill(panel, 0, kn * nr, 0f);
            if (b.kind == Operand.HEAP && b.rs == 1) {
                // heap W [N, K] seen as B = Wᵀ: column c of B is row j+c of W, contiguous
                float[] h = b.heap;
                for (int c = 0; c < cols; c++) {
                    int src = (int) b.index(p0 + k0, j + c);
                    for (int p = 0, q = c; p < kn; p++, q += nr) panel[q] = h[src + p];
                }
            } else if (b.kind == Operand.NM && b.panel != null && j % Operand.L == 0 && (cols == nr || j + cols == b.cols)) {
                // W held as its NMPanel: column block [j, j + cols) is whole panels of L rows, decoded panel by panel
                for (int c = 0; c < cols; c += Operand.L) b.panel.decodePanel((j + c) / Operand.L, p0 + k0, kn, panel, c, nr);
            } else {
                for (int c = 0; c < cols; c++) {
                    b.readCol(j + c, p0 + k0, kn, row, 0);
                    for (int p = 0, q = c; p < kn; p++, q += nr) panel[q] = row[p];
                }
            }
            MemorySegment.copy(panel, 0, dst, FLOAT, off + 4L * k0 * nr, kn * nr);
        }
    }
}
