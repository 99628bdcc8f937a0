package org.prune4j.tensor.gemm;

import static org.prune4j.tensor.gemm.MicroKernel.L;
import static org.prune4j.tensor.gemm.MicroKernel.MR;

import java.lang.foreign.MemorySegment;
import org.prune4j.tensor.Parallel;

/**
 * Cache-blocked, register-tiled SGEMM: C[m, n] += A[m, k] · B[k, n] for operands of any layout and dtype.
 *
 * <p>Loop nest (BLIS's, with the roles of A and B swapped because the vector dimension here is n):
 * <pre>
 *   for ic in m step mcb                   A block rows
 *     for pc in k step kc                  one k slab
 *       pack A[ic.., pc..]   -> Ap         shared by all threads (each packs a share of the panels)
 *       parallel over n ranges (and m ranges when n is narrow):
 *         for jc in range step ncb
 *           pack B[pc.., jc..] -> Bp       per thread, [kc, ncb] sized for L2
 *           for ir in A panels              the 6 x kc A panel stays in L1 ...
 *             for jr in B panels            ... while B panels stream from L2
 *               MicroKernel 6 x NR
 * </pre>
 * Two fork-joins per k slab, no barriers inside a task (a blocked worker could deadlock the shared pool).
 */
public final class Sgemm {
    private Sgemm() {}

    /**
     * Blocking parameters. {@code nv}: vectors per tile row (tile width NR = nv·L); {@code kc}: k slab;
     * {@code ncb}: columns of a per-thread B block; {@code mcb}: rows of the shared A block.
     */
    public record Plan(int nv, int kc, int ncb, int mcb) {
        public Plan {
            if (nv != 2 && nv != 4) throw new IllegalArgumentException("nv must be 2 or 4, got " + nv);
            if (kc < 1 || ncb < 1 || mcb < 1) throw new IllegalArgumentException("block sizes must be positive: " + kc + ", " + ncb + ", " + mcb);
        }

        /** Tile width in columns. */
        public int nr() {
            return nv * L;
        }

        /** Columns per B block, a whole number of tiles. */
        int ncbTiles() {
            return Math.max(1, ncb / nr()) * nr();
        }

        /** Rows per A block, a whole number of tiles. */
        int mcbTiles() {
            return Math.max(1, mcb / MR) * MR;
        }
    }

    /**
     * This machine's plan: kc = 512 (a 6 x 512 A panel is 12 KiB of L1; 512-1024 beat 256 here), B blocks of
     * 512 x 256 floats (512 KiB of the 1 MiB L2), A blocks of up to 8 MiB. Overridable for tuning with
     * -Dprune4j.gemm.kc/.ncb/.mcb/.nv.
     */
    public static final Plan DEFAULT = new Plan(
            Integer.getInteger("prune4j.gemm.nv", MicroKernel.NV),
            Integer.getInteger("prune4j.gemm.kc", 512),
            Integer.getInteger("prune4j.gemm.ncb", 256),
            Integer.getInteger("prune4j.gemm.mcb", 4092));

    /** Below this many flops per thread a split costs more than it saves (a fork-join is tens of microseconds). */
    static final long MIN_FLOPS_PER_THREAD = 4_000_000L;

    /** C += A·B with the default plan; C[i, j] is c[cOff + i·ldc + j]. */
    static void gemm(int threads, Operand a, Operand b, float[] c, int cOff, int ldc) {
        gemm(threads, a, b, c, cOff, ldc, DEFAULT);
    }

    /** C += A·B (A is m x k, B is k x n); C[i, j] is c[cOff + i·ldc + j]. */
    static void gemm(int threads, Operand a, Operand b, float[] c, int cOff, int ldc, Plan plan) {
        int m = a.rows, k = a.cols, n = b.cols;
        if (b.rows != k) throw new IllegalArgumentException("inner dims differ: " + m + "x" + k + " @ " + b.rows + "x" + n);
        if (m == 0 || n == 0 || k == 0) return;
        long flops = 2L * m * n * k;
        int t = (int) Math.max(1, Math.min(threads, flops / MIN_FLOPS_PER_THREAD));
        int nr = plan.nr(), ncb = plan.ncbTiles();
        int mcb = Math.min(plan.mcbTiles(), ceil(m, MR) * MR);
        int kcMax = Math.min(plan.kc(), k);
        MemorySegment ap = PackBuffers.acquire(4L * mcb * kcMax);
        try {
            for (int ic = 0; ic < m; ic += mcb) {
                int mc = Math.min(mcb, m - ic);
                int panelsA = ceil(mc, MR), panelsN = ceil(n, nr);
                int tn = Math.min(t, panelsN), tm = Math.min(Math.max(1, t / tn), panelsA);
                for (int pc = 0; pc < k; pc += plan.kc()) {
                    int kc = Math.min(plan.kc(), k - pc);
                    final int ic0 = ic, pc0 = pc;
                    // phase 1: every thread packs a share of the A panels into the shared block
                    Parallel.forRange(t, panelsA, 16, (q0, q1) -> {
                        int r0 = (int) q0 * MR, r1 = Math.min(mc, (int) q1 * MR);
                        Packing.packA(a, ic0 + r0, r1 - r0, pc0, kc, ap, q0 * 4L * kc * MR, new Packing.Scratch(kc, nr, ncb));
                    });
                    // phase 2: tiles, split over n ranges (and m ranges when n has fewer tiles than threads)
                    Parallel.forRange(tn * tm, tn * tm, 1, (t0, t1) -> {
                        for (long task = t0; task < t1; task++) {
                            int ti = (int) (task % tn), tj = (int) (task / tn);
                            int jFrom = split(panelsN, tn, ti) * nr, jTo = Math.min(n, split(panelsN, tn, ti + 1) * nr);
                            int qFrom = split(panelsA, tm, tj), qTo = split(panelsA, tm, tj + 1);
                            block(plan, a, b, c, cOff, ldc, ap, ic0, mc, pc0, kc, jFrom, jTo, qFrom, qTo);
                        }
                    });
                }
            }
        } finally {
            PackBuffers.release(ap);
        }
    }

    /** One thread's share of a k slab: columns [jFrom, jTo) against A panels [qFrom, qTo) of the packed block. */
    private static void block(Plan plan, Operand a, Operand b, float[] c, int cOff, int ldc, MemorySegment ap,
                              int ic, int mc, int pc, int kc, int jFrom, int jTo, int qFrom, int qTo) {
        int nv = plan.nv(), nr = plan.nr(), ncb = plan.ncbTiles();
        MemorySegment bp = PackBuffers.acquire(4L * kc * ncb);
        try {
            Packing.Scratch scratch = new Packing.Scratch(kc, nr, ncb);
            float[] edge = new float[MR * nr];
            for (int jc = jFrom; jc < jTo; jc += ncb) {
                int nc = Math.min(ncb, jTo - jc);
                Packing.packB(b, pc, kc, jc, nc, nr, bp, 0, scratch);
                for (int q = qFrom; q < qTo; q++) {
                    int i = q * MR, mr = Math.min(MR, mc - i);
                    long aOff = (long) q * kc * MR * 4;
                    int row = cOff + (ic + i) * ldc + jc;
                    for (int jr = 0; jr < nc; jr += nr) {
                        int cols = Math.min(nr, nc - jr);
                        long bOff = (long) jr * kc * 4;
                        if (mr == MR && cols == nr) MicroKernel.kernel(nv, ap, aOff, bp, bOff, kc, c, row + jr, ldc);
                        else MicroKernel.edge(nv, ap, aOff, bp, bOff, kc, c, row + jr, ldc, mr, cols, edge);
                    }
                }
            }
        } finally {
            PackBuffers.release(bp);
        }
    }

    /** Start of part {@code i} of {@code n} items split into {@code parts} near-equal parts. */
    static int split(int n, int parts, int i) {
        return (int) ((long) n * i / parts);
    }

    static int ceil(int a, int b) {
        return (a + b - 1) / b;
    }
}
