package org.prune4j.tensor.gemm;

import static org.prune4j.tensor.gemm.MicroKernel.L;
import static org.prune4j.tensor.gemm.MicroKernel.MR;

import java.lang.foreign.MemorySegment;

/**
 * Cache-blocked, register-tiled SGEMM: C[m, n] += A[m, k] · B[k, n] for operands of any layout and dtype.
 *
 * <p>Loop nest (BLIS's, with the roles of A and B swapped because the vector dimension here is n):
 * <pre>
 *   for ic in m step mcb                   A block rows
 *     for pc in k step kc                  one k slab
 *       pack A[ic.., pc..]   -> Ap         shared by all threads (each packs a share of the panels)
 *       parallel over B blocks (and A panel ranges when n is narrow), handed out one at a time:
 *         for jc in block
 *           pack B[pc.., jc..] -> Bp       per item, [kc, ncb] sized for L2
 *           for ir in A panels              the 6 x kc A panel stays in L1 ...
 *             for jr in B panels            ... while B panels stream from L2
 *               MicroKernel 6 x NR
 * </pre>
 * Two parallel phases per k slab, scheduled dynamically ({@link Work}) so a preempted thread delays one item, not
 * half the product.
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

    /** A panels packed per phase-1 work item. */
    static final int PACK_PANELS = 8;

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
                int panelsA = ceil(mc, MR);
                // phase-2 items: B blocks of ncb columns; when there are too few to go round, also split the A panels
                int blocksN = ceil(n, ncb);
                int partsM = blocksN >= 2 * t ? 1 : Math.min(panelsA, ceil(2 * t, blocksN));
                for (int pc = 0; pc < k; pc += plan.kc()) {
                    int kc = Math.min(plan.kc(), k - pc);
                    final int ic0 = ic, pc0 = pc;
                    // phase 1: the shared A block, PACK_PANELS panels per item
                    Work.forEach(t, ceil(panelsA, PACK_PANELS), item -> {
                        int q0 = item * PACK_PANELS, r0 = q0 * MR, r1 = Math.min(mc, (q0 + PACK_PANELS) * MR);
                        Packing.packA(a, ic0 + r0, r1 - r0, pc0, kc, ap, q0 * 4L * kc * MR, Packing.scratch(kc, nr, ncb));
                    });
                    // phase 2: each item packs one B block and multiplies it with a range of A panels
                    Work.forEach(t, blocksN * partsM, item -> {
                        int jb = item % blocksN, part = item / blocksN;
                        int jFrom = jb * ncb, jTo = Math.min(n, jFrom + ncb);
                        block(plan, a, b, c, cOff, ldc, ap, ic0, mc, pc0, kc, jFrom, jTo, split(panelsA, partsM, part), split(panelsA, partsM, part + 1));
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
            float[] edge = new float[MR * nr];
            for (int jc = jFrom; jc < jTo; jc += ncb) {
                int nc = Math.min(ncb, jTo - jc);
                Packing.packB(b, pc, kc, jc, nc, nr, bp, 0, Packing.scratch(kc, nr, ncb));
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
