package org.prune4j.tensor.gemm;

import static org.prune4j.tensor.gemm.MicroKernel.L;
import static org.prune4j.tensor.gemm.MicroKernel.MR;

import java.lang.foreign.MemorySegment;

/**
 * Cache-blocked, register-tiled SGEMM: C[m, n] += A[m, k] · B[k, n] for operands of any layout and dtype.
 *
 * <p>Loop nest (BLIS's, with the roles of A and B swapped because the vector dimension here is n):
 * <pre>
 *   for ic in m step mcb                   A block rows (all of them unless k is huge)
 *     parallel: pack A[ic.., all k] -> Ap   shared by all threads, one layout per k slab (skipped when A is a
 *                                          row-major heap array: the kernel then reads its six rows in place)
 *     parallel over B blocks of ncb columns (and A panel ranges when n is narrow), handed out one at a time:
 *       for pc in k step kc                one k slab; the C block stays in cache across slabs
 *         pack B[pc.., block] -> Bp        per item, [kc, ncb] sized for L2
 *         for ir in A panels                the 6 x kc A panel stays in L1 ...
 *           for jr in B panels              ... while B panels stream from L2
 *             MicroKernel 6 x NR
 * </pre>
 * Two parallel phases per product, scheduled dynamically ({@link Work}) so a preempted thread delays one item, not
 * half the product.
 */
public final class Sgemm {
    private Sgemm() {}

    /**
     * Blocking parameters. {@code nv}: vectors per tile row (tile width NR = nv·L); {@code kc}: k slab;
     * {@code ncb}: columns of a per-item B block; {@code mcb}: rows of the shared A block; {@code directA}: read a
     * row-major heap A in place instead of packing it (its six rows stream sequentially; saves the A packing pass).
     */
    public record Plan(int nv, int kc, int ncb, int mcb, boolean directA) {
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
     * 512 x 256 floats (512 KiB of the 1 MiB L2), A blocks of up to 8 MiB, row-major heap A read in place.
     * Overridable for tuning with -Dprune4j.gemm.kc/.ncb/.mcb/.nv and -Dprune4j.gemm.packA=true.
     */
    public static final Plan DEFAULT = new Plan(
            Integer.getInteger("prune4j.gemm.nv", MicroKernel.NV),
            Integer.getInteger("prune4j.gemm.kc", 512),
            Integer.getInteger("prune4j.gemm.ncb", 256),
            Integer.getInteger("prune4j.gemm.mcb", 4092),
            !Boolean.getBoolean("prune4j.gemm.packA"));

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
        if (plan.nv() == 2) {
            gemm6x2(t, a, b, c, cOff, ldc, plan);
            return;
        }
        int nr = plan.nr(), ncb = plan.ncbTiles(), kcMax = plan.kc();
        int slabs = ceil(k, kcMax);
        // A block: mcb rows by all of k, at most A_BUDGET floats
        boolean direct = plan.directA() && a.kind == Operand.HEAP && a.cs == 1;
        int mcb = direct ? ceil(m, MR) * MR
                : Math.min(Math.min(plan.mcbTiles(), ceil(m, MR) * MR), Math.max(MR, (int) (A_BUDGET / k) / MR * MR));
        MemorySegment ap = direct ? null : PackBuffers.acquire(4L * mcb * k);
        try {
            for (int ic = 0; ic < m; ic += mcb) {
                int mc = Math.min(mcb, m - ic), panelsA = ceil(mc, MR), groups = ceil(panelsA, PACK_PANELS);
                final int ic0 = ic;
                // phase 1: the shared A block, every k slab; items of PACK_PANELS panels of one slab
                if (!direct) Work.forEach(t, slabs * groups, item -> {
                    int slab = item / groups, q0 = (item % groups) * PACK_PANELS;
                    int pc = slab * kcMax, kc = Math.min(kcMax, k - pc);
                    int r0 = q0 * MR, r1 = Math.min(mc, (q0 + PACK_PANELS) * MR);
                    Packing.packA(a, ic0 + r0, r1 - r0, pc, kc, ap, slabOffset(mcb, pc) + q0 * 4L * kc * MR, Packing.scratch(kc, nr, ncb));
                });
                // phase 2: an item is one B block (ncb columns) through every k slab, against a range of A panels;
                // when there are too few blocks to go round, the A panels are split too
                int blocksN = ceil(n, ncb);
                int partsM = blocksN >= 2 * t ? 1 : Math.min(panelsA, ceil(2 * t, blocksN));
                Work.forEach(t, blocksN * partsM, item -> {
                    int jb = item % blocksN, part = item / blocksN;
                    int jFrom = jb * ncb, nc = Math.min(n, jFrom + ncb) - jFrom;
                    block(plan, a, b, c, cOff, ldc, ap, mcb, ic0, mc, jFrom, nc, split(panelsA, partsM, part), split(panelsA, partsM, part + 1));
                });
            }
        } finally {
            if (ap != null) PackBuffers.release(ap);
        }
    }

    /** Floats of packed A per product: 8 Mi floats (32 MiB) bounds the A block for very large k. */
    static final long A_BUDGET = 8L << 20;

    /** Byte offset of the k slab starting at {@code pc} in a packed A block of {@code mcb} rows (earlier slabs are full). */
    static long slabOffset(int mcb, int pc) {
        return 4L * mcb * pc;
    }

    /** One item: columns [jFrom, jFrom+nc) through every k slab, against A panels [qFrom, qTo) of the packed block. */
    private static void block(Plan plan, Operand a, Operand b, float[] c, int cOff, int ldc, MemorySegment ap, int mcb,
                              int ic, int mc, int jFrom, int nc, int qFrom, int qTo) {
        int nr = plan.nr(), ncb = plan.ncbTiles(), k = a.cols, kcMax = plan.kc();
        MemorySegment bp = PackBuffers.acquire(4L * Math.min(kcMax, k) * ncb);
        try {
            float[] edge = new float[MR * nr];
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                Packing.packB(b, pc, kc, jFrom, nc, nr, bp, 0, Packing.scratch(kc, nr, ncb));
                long slab = slabOffset(mcb, pc);
                for (int q = qFrom; q < qTo; q++) {
                    int i = q * MR, mr = Math.min(MR, mc - i);
                    int row = cOff + (ic + i) * ldc + jFrom;
                    if (ap == null) {
                        // row-major heap A read in place: row r of the tile starts at a0 + r·lda
                        float[] h = a.heap;
                        int lda = (int) a.rs, a0 = (int) a.index(ic + i, pc);
                        for (int jr = 0; jr < nc; jr += nr) {
                            int cols = Math.min(nr, nc - jr);
                            long bOff = (long) jr * kc * 4;
                            if (mr == MR && cols == nr)
                                MicroKernel.kernel6x4Heap(h, a0, a0 + lda, a0 + 2 * lda, a0 + 3 * lda, a0 + 4 * lda, a0 + 5 * lda, bp, bOff, kc, c, row + jr, ldc);
                            else MicroKernel.edge6x4Heap(h, a0, lda, mr, bp, bOff, kc, c, row + jr, ldc, cols, edge);
                        }
                        continue;
                    }
                    long aOff = slab + (long) q * kc * MR * 4;
                    for (int jr = 0; jr < nc; jr += nr) {
                        int cols = Math.min(nr, nc - jr);
                        long bOff = (long) jr * kc * 4;
                        if (mr == MR && cols == nr) MicroKernel.kernel6x4(ap, aOff, bp, bOff, kc, c, row + jr, ldc);
                        else MicroKernel.edge6x4(ap, aOff, bp, bOff, kc, c, row + jr, ldc, mr, cols, edge);
                    }
                }
            }
        } finally {
            PackBuffers.release(bp);
        }
    }

    /**
     * The 6×2 path (16 vector registers, {@link MicroKernel#kernel6x2}): the same loop nest over heap arrays. A is
     * read in place when it is a row-major heap array, else each A block is first copied row-major into a heap
     * block (converting dtype and layout); B blocks are packed into heap arrays.
     */
    private static void gemm6x2(int t, Operand a, Operand b, float[] c, int cOff, int ldc, Plan plan) {
        int m = a.rows, k = a.cols, n = b.cols, ncb = plan.ncbTiles();
        boolean direct = plan.directA() && a.kind == Operand.HEAP && a.cs == 1 && a.index(m - 1, k - 1) < Integer.MAX_VALUE;
        int mcb = direct ? ceil(m, MR) * MR
                : Math.min(Math.min(plan.mcbTiles(), ceil(m, MR) * MR), Math.max(MR, (int) (A_BUDGET / k) / MR * MR));
        float[] ah = direct ? a.heap : PackBuffers.acquireFloats((long) mcb * k);
        try {
            for (int ic = 0; ic < m; ic += mcb) {
                int mc = Math.min(mcb, m - ic), panelsA = ceil(mc, MR);
                final int ic0 = ic;
                // phase 1 (packed A only): the A block row-major, items of PACK_PANELS panels
                if (!direct) Work.forEach(t, ceil(panelsA, PACK_PANELS), g -> {
                    int r0 = g * PACK_PANELS * MR, r1 = Math.min(mc, r0 + PACK_PANELS * MR);
                    Packing.copyRows(a, ic0 + r0, r1 - r0, ah, r0 * k, Packing.scratch(plan.kc(), plan.nr(), ncb));
                });
                int aBase = direct ? (int) a.index(ic, 0) : 0, lda = direct ? (int) a.rs : k;
                // phase 2: as in gemm
                int blocksN = ceil(n, ncb);
                int partsM = blocksN >= 2 * t ? 1 : Math.min(panelsA, ceil(2 * t, blocksN));
                Work.forEach(t, blocksN * partsM, item -> {
                    int jb = item % blocksN, part = item / blocksN;
                    int jFrom = jb * ncb, nc = Math.min(n, jFrom + ncb) - jFrom;
                    block6x2(plan, b, c, cOff, ldc, ah, aBase, lda, k, ic0, mc, jFrom, nc, split(panelsA, partsM, part), split(panelsA, partsM, part + 1));
                });
            }
        } finally {
            if (!direct) PackBuffers.releaseFloats(ah);
        }
    }

    /**
     * One 6×2 item: columns [jFrom, jFrom+nc) through every k slab, against A panels [qFrom, qTo) of the block whose
     * row i (of mc) starts at ah[aBase + i·lda].
     */
    private static void block6x2(Plan plan, Operand b, float[] c, int cOff, int ldc, float[] ah, int aBase, int lda, int k,
                                 int ic, int mc, int jFrom, int nc, int qFrom, int qTo) {
        int nr = plan.nr(), ncb = plan.ncbTiles(), kcMax = plan.kc(), kcb = Math.min(kcMax, k);
        float[] bh = PackBuffers.acquireFloats((long) kcb * ncb);
        try {
            MemorySegment bp = MemorySegment.ofArray(bh);
            float[] edge = new float[MR * nr], rows = new float[MR * kcb];
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                Packing.packB(b, pc, kc, jFrom, nc, nr, bp, 0, Packing.scratch(kc, nr, ncb));
                for (int q = qFrom; q < qTo; q++) {
                    int i = q * MR, mr = Math.min(MR, mc - i);
                    int row = cOff + (ic + i) * ldc + jFrom, a0 = aBase + i * lda + pc;
                    for (int jr = 0; jr < nc; jr += nr) {
                        int cols = Math.min(nr, nc - jr), b0 = jr * kc;
                        if (mr == MR && cols == nr) MicroKernel.kernel6x2(ah, a0, lda, bh, b0, kc, c, row + jr, ldc);
                        else MicroKernel.edge6x2(ah, a0, lda, mr, bh, b0, kc, c, row + jr, ldc, cols, rows, edge);
                    }
                }
            }
        } finally {
            PackBuffers.releaseFloats(bh);
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
