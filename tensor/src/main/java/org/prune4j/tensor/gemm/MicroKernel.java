package org.prune4j.tensor.gemm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tile of SGEMM: C[MR, NR] += A[MR, kc] · Bp[kc, NR], with MR = 6 rows and NR = NV vectors of the
 * preferred species, every accumulator a local so C2 keeps them in registers across the k loop.
 *
 * <p>Two tiles, chosen by the register file ({@link #NV}):
 * <ul>
 *   <li>6×4 vectors where the ISA has 32 vector registers (AVX-512): 24 accumulators + 4 B + 1 A. Panels are packed
 *       k-major in 64-byte aligned off-heap memory ({@link Packing}): step p of an A panel is its 6 row values
 *       (broadcast), step p of a B panel NR consecutive columns, so no 64-byte load splits a cache line.
 *   <li>6×2 vectors with 16 registers (AVX2, SSE): 12 accumulators + 2 B + 1 A = 15. A and B are heap arrays read
 *       with int indices (see {@link #kernel6x2}): with 12 FMAs per k step there is no slack for the per-load bounds
 *       checks that C2 left in the segment version of this loop.
 * </ul>
 * No manual k unrolling: it made C2 spill.
 */
final class MicroKernel {
    private MicroKernel() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector (16 on AVX-512, 8 on AVX2, 4 on NEON); never assumed. */
    static final int L = F.length();
    /** Rows of the register tile. */
    static final int MR = 6;
    /** Vectors per tile row on this machine: 4 where the ISA has 32 vector registers, else 2. */
    static final int NV = registers() >= 32 ? 4 : 2;

    static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Architectural vector registers: x86 has 32 only with AVX-512 (512-bit preferred species); ARM and RISC-V have 32. */
    static int registers() {
        String arch = System.getProperty("os.arch", "");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64") || arch.equals("x86") || arch.equals("i386");
        return !x86 || F.vectorBitSize() >= 512 ? 32 : 16;
    }

    /**
     * A 6×4 tile cut by the matrix edge (mr rows, nr columns valid): computed whole into {@code scratch} [MR, 4·L]
     * (the padded panel entries are zeros), then the valid part is added to C.
     */
    static void edge6x4(MemorySegment ap, long aOff, MemorySegment bp, long bOff, int kc,
                        float[] c, int cOff, int ldc, int mr, int nr, float[] scratch) {
        int w = 4 * L;
        java.util.Arrays.fill(scratch, 0, MR * w, 0f);
        kernel6x4(ap, aOff, bp, bOff, kc, scratch, 0, w);
        addValid(c, cOff, ldc, mr, nr, scratch, w);
    }

    /**
     * 6×4 edge tile with A read from a heap array: rows past {@code mr} repeat row 0 (always valid memory) and their
     * results are dropped with the columns past {@code nr}.
     */
    static void edge6x4Heap(float[] a, int aOff, int lda, int mr, MemorySegment bp, long bOff, int kc,
                            float[] c, int cOff, int ldc, int nr, float[] scratch) {
        int w = 4 * L;
        java.util.Arrays.fill(scratch, 0, MR * w, 0f);
        kernel6x4Heap(a, aOff, mr > 1 ? aOff + lda : aOff, mr > 2 ? aOff + 2 * lda : aOff, mr > 3 ? aOff + 3 * lda : aOff,
                mr > 4 ? aOff + 4 * lda : aOff, mr > 5 ? aOff + 5 * lda : aOff, bp, bOff, kc, scratch, 0, w);
        addValid(c, cOff, ldc, mr, nr, scratch, w);
    }

    private static void addValid(float[] c, int cOff, int ldc, int mr, int nr, float[] scratch, int w) {
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) c[cOff + r * ldc + j] += scratch[r * w + j];
    }

    /** C[6, 4·L] += A panel · B panel over kc steps; 24 accumulators stay in registers. */
    static void kernel6x4(MemorySegment ap, long aOff, MemorySegment bp, long bOff, int kc, float[] c, int cOff, int ldc) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z;
        FloatVector c30 = z, c31 = z, c32 = z, c33 = z;
        FloatVector c40 = z, c41 = z, c42 = z, c43 = z;
        FloatVector c50 = z, c51 = z, c52 = z, c53 = z;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(F, bp, bOff, NATIVE);
            FloatVector b1 = FloatVector.fromMemorySegment(F, bp, bOff + 4L * L, NATIVE);
            FloatVector b2 = FloatVector.fromMemorySegment(F, bp, bOff + 8L * L, NATIVE);
            FloatVector b3 = FloatVector.fromMemorySegment(F, bp, bOff + 12L * L, NATIVE);
            FloatVector a = FloatVector.broadcast(F, ap.get(FLOAT, aOff));
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01); c02 = a.fma(b2, c02); c03 = a.fma(b3, c03);
            a = FloatVector.broadcast(F, ap.get(FLOAT, aOff + 4));
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11); c12 = a.fma(b2, c12); c13 = a.fma(b3, c13);
            a = FloatVector.broadcast(F, ap.get(FLOAT, aOff + 8));
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21); c22 = a.fma(b2, c22); c23 = a.fma(b3, c23);
            a = FloatVector.broadcast(F, ap.get(FLOAT, aOff + 12));
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31); c32 = a.fma(b2, c32); c33 = a.fma(b3, c33);
            a = FloatVector.broadcast(F, ap.get(FLOAT, aOff + 16));
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41); c42 = a.fma(b2, c42); c43 = a.fma(b3, c43);
            a = FloatVector.broadcast(F, ap.get(FLOAT, aOff + 20));
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51); c52 = a.fma(b2, c52); c53 = a.fma(b3, c53);
            aOff += 4L * MR;
            bOff += 16L * L;
        }
        // written out in place: a helper taking the vectors would not be inlined in a method this size,
        // and the accumulators would then be boxed on every k step (measured: 8 instead of 200 GFLOP/s)
        int o = cOff;
        FloatVector.fromArray(F, c, o).add(c00).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c01).intoArray(c, o + 1 * L);
        FloatVector.fromArray(F, c, o + 2 * L).add(c02).intoArray(c, o + 2 * L);
        FloatVector.fromArray(F, c, o + 3 * L).add(c03).intoArray(c, o + 3 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c10).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c11).intoArray(c, o + 1 * L);
        FloatVector.fromArray(F, c, o + 2 * L).add(c12).intoArray(c, o + 2 * L);
        FloatVector.fromArray(F, c, o + 3 * L).add(c13).intoArray(c, o + 3 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c20).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c21).intoArray(c, o + 1 * L);
        FloatVector.fromArray(F, c, o + 2 * L).add(c22).intoArray(c, o + 2 * L);
        FloatVector.fromArray(F, c, o + 3 * L).add(c23).intoArray(c, o + 3 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c30).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c31).intoArray(c, o + 1 * L);
        FloatVector.fromArray(F, c, o + 2 * L).add(c32).intoArray(c, o + 2 * L);
        FloatVector.fromArray(F, c, o + 3 * L).add(c33).intoArray(c, o + 3 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c40).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c41).intoArray(c, o + 1 * L);
        FloatVector.fromArray(F, c, o + 2 * L).add(c42).intoArray(c, o + 2 * L);
        FloatVector.fromArray(F, c, o + 3 * L).add(c43).intoArray(c, o + 3 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c50).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c51).intoArray(c, o + 1 * L);
        FloatVector.fromArray(F, c, o + 2 * L).add(c52).intoArray(c, o + 2 * L);
        FloatVector.fromArray(F, c, o + 3 * L).add(c53).intoArray(c, o + 3 * L);
    }

    /** C[6, 4·L] += A rows (straight from a row-major heap array: a[ar + p] for row r) · B panel over kc steps. */
    static void kernel6x4Heap(float[] a, int a0, int a1, int a2, int a3, int a4, int a5, MemorySegment bp, long bOff, int kc, float[] c, int cOff, int ldc) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z;
        FloatVector c30 = z, c31 = z, c32 = z, c33 = z;
        FloatVector c40 = z, c41 = z, c42 = z, c43 = z;
        FloatVector c50 = z, c51 = z, c52 = z, c53 = z;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(F, bp, bOff, NATIVE);
            FloatVector b1 = FloatVector.fromMemorySegment(F, bp, bOff + 4L * L, NATIVE);
            FloatVector b2 = FloatVector.fromMemorySegment(F, bp, bOff + 8L * L, NATIVE);
            FloatVector b3 = FloatVector.fromMemorySegment(F, bp, bOff + 12L * L, NATIVE);
            FloatVector ar = FloatVector.broadcast(F, a[a0 + p]);
            c00 = ar.fma(b0, c00); c01 = ar.fma(b1, c01); c02 = ar.fma(b2, c02); c03 = ar.fma(b3, c03);
            ar = FloatVector.broadcast(F, a[a1 + p]);
            c10 = ar.fma(b0, c10); c11 = ar.fma(b1, c11); c12 = ar.fma(b2, c12); c13 = ar.fma(b3, c13);
            ar = FloatVector.broadcast(F, a[a2 + p]);
            c20 = ar.fma(b0, c20); c21 = ar.fma(b1, c21); c22 = ar.fma(b2, c22); c23 = ar.fma(b3, c23);
            ar = FloatVector.broadcast(F, a[a3 + p]);
            c30 = ar.fma(b0, c30); c31 = ar.fma(b1, c31); c32 = ar.fma(b2, c32); c33 = ar.fma(b3, c33);
            ar = FloatVector.broadcast(F, a[a4 + p]);
            c40 = ar.fma(b0, c40); c41 = ar.fma(b1, c41); c42 = ar.fma(b2, c42); c43 = ar.fma(b3, c43);
            ar = FloatVector.broadcast(F, a[a5 + p]);
            c50 = ar.fma(b0, c50); c51 = ar.fma(b1, c51); c52 = ar.fma(b2, c52); c53 = ar.fma(b3, c53);
            bOff += 16L * L;
        }
        // written out in place: a helper taking the vectors would not be inlined in a method this size,
        // and the accumulators would then be boxed on every k step (measured: 8 instead of 200 GFLOP/s)
        int o = cOff;
        FloatVector.fromArray(F, c, o).add(c00).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c01).intoArray(c, o + 1 * L);
        FloatVector.fromArray(F, c, o + 2 * L).add(c02).intoArray(c, o + 2 * L);
        FloatVector.fromArray(F, c, o + 3 * L).add(c03).intoArray(c, o + 3 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c10).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c11).intoArray(c, o + 1 * L);
        FloatVector.fromArray(F, c, o + 2 * L).add(c12).intoArray(c, o + 2 * L);
        FloatVector.fromArray(F, c, o + 3 * L).add(c13).intoArray(c, o + 3 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c20).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c21).intoArray(c, o + 1 * L);
        FloatVector.fromArray(F, c, o + 2 * L).add(c22).intoArray(c, o + 2 * L);
        FloatVector.fromArray(F, c, o + 3 * L).add(c23).intoArray(c, o + 3 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c30).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c31).intoArray(c, o + 1 * L);
        FloatVector.fromArray(F, c, o + 2 * L).add(c32).intoArray(c, o + 2 * L);
        FloatVector.fromArray(F, c, o + 3 * L).add(c33).intoArray(c, o + 3 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c40).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c41).intoArray(c, o + 1 * L);
        FloatVector.fromArray(F, c, o + 2 * L).add(c42).intoArray(c, o + 2 * L);
        FloatVector.fromArray(F, c, o + 3 * L).add(c43).intoArray(c, o + 3 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c50).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c51).intoArray(c, o + 1 * L);
        FloatVector.fromArray(F, c, o + 2 * L).add(c52).intoArray(c, o + 2 * L);
        FloatVector.fromArray(F, c, o + 3 * L).add(c53).intoArray(c, o + 3 * L);
    }

    /**
     * C[6, 2·L] += A rows · B panel over kc steps, both from heap arrays: row r of A at a[a0 + r·lda + p], step p of
     * the B panel at b[b0 + p·2L]. Every index is an int linear in p, so C2 hoists all range checks out of the loop;
     * the segment form of this kernel kept a bounds check (and a stack reload) per load with AVX2's 16 registers,
     * ~45 instructions per 12 FMAs, and ran at 0.4 of OpenBLAS on Zen 3. 12 accumulators + 2 B + 1 A = 15 ymm.
     */
    static void kernel6x2(float[] a, int a0, int lda, float[] b, int b0, int kc, float[] c, int cOff, int ldc) {
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z;
        FloatVector c10 = z, c11 = z;
        FloatVector c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z;
        FloatVector c50 = z, c51 = z;
        for (int p = 0; p < kc; p++) {
            FloatVector b0v = FloatVector.fromArray(F, b, b0 + 2 * L * p);
            FloatVector b1v = FloatVector.fromArray(F, b, b0 + 2 * L * p + L);
            FloatVector ar = FloatVector.broadcast(F, a[a0 + p]);
            c00 = ar.fma(b0v, c00); c01 = ar.fma(b1v, c01);
            ar = FloatVector.broadcast(F, a[a1 + p]);
            c10 = ar.fma(b0v, c10); c11 = ar.fma(b1v, c11);
            ar = FloatVector.broadcast(F, a[a2 + p]);
            c20 = ar.fma(b0v, c20); c21 = ar.fma(b1v, c21);
            ar = FloatVector.broadcast(F, a[a3 + p]);
            c30 = ar.fma(b0v, c30); c31 = ar.fma(b1v, c31);
            ar = FloatVector.broadcast(F, a[a4 + p]);
            c40 = ar.fma(b0v, c40); c41 = ar.fma(b1v, c41);
            ar = FloatVector.broadcast(F, a[a5 + p]);
            c50 = ar.fma(b0v, c50); c51 = ar.fma(b1v, c51);
        }
        // written out in place: a helper taking the vectors would not be inlined in a method this size,
        // and the accumulators would then be boxed on every k step (measured: 8 instead of 200 GFLOP/s)
        int o = cOff;
        FloatVector.fromArray(F, c, o).add(c00).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c01).intoArray(c, o + 1 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c10).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c11).intoArray(c, o + 1 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c20).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c21).intoArray(c, o + 1 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c30).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c31).intoArray(c, o + 1 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c40).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c41).intoArray(c, o + 1 * L);
        o += ldc;
        FloatVector.fromArray(F, c, o).add(c50).intoArray(c, o);
        FloatVector.fromArray(F, c, o + 1 * L).add(c51).intoArray(c, o + 1 * L);
    }

    /**
     * {@link #kernel6x2} for a tile cut by the matrix edge (mr rows, nr columns valid): when rows are missing, the mr
     * valid rows are first copied into {@code rows} [MR, kc] (the rest zero); the tile is computed whole into
     * {@code scratch} [MR, 2·L] and only the valid part is added to C (the B panel's padded columns are zeros).
     */
    static void edge6x2(float[] a, int a0, int lda, int mr, float[] b, int b0, int kc, float[] c, int cOff, int ldc, int nr,
                        float[] rows, float[] scratch) {
        int w = 2 * L;
        java.util.Arrays.fill(scratch, 0, MR * w, 0f);
        if (mr < MR) {
            java.util.Arrays.fill(rows, 0, MR * kc, 0f);
            for (int r = 0; r < mr; r++) System.arraycopy(a, a0 + r * lda, rows, r * kc, kc);
            kernel6x2(rows, 0, kc, b, b0, kc, scratch, 0, w);
        } else kernel6x2(a, a0, lda, b, b0, kc, scratch, 0, w);
        addValid(c, cOff, ldc, mr, nr, scratch, w);
    }
}
