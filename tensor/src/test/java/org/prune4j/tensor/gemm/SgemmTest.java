package org.prune4j.tensor.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Tensor;

/**
 * The blocked SGEMM driver with tiny blocking plans, so that small (fast to check) matrices cross every block edge:
 * several k slabs, several per-thread B blocks, several shared A blocks, partial tiles in both directions, both
 * tile widths (2 and 4 vectors). The reference is a double-precision loop over {@link Operand#get}.
 */
class SgemmTest {

    private static final Sgemm.Plan[] PLANS = {
            new Sgemm.Plan(4, 17, 1, 12, false),   // kc 17, one tile per B block, two tile rows per A block
            new Sgemm.Plan(4, 17, 1, 12, true),    // the same reading heap A in place
            new Sgemm.Plan(2, 9, 70, 7, false),    // nv 2, B blocks of 2 tiles, one tile row per A block
            new Sgemm.Plan(2, 9, 70, 7, true),
            new Sgemm.Plan(4, 64, 200, 30, false),
            Sgemm.DEFAULT,
    };

    @Test
    void blockEdgesWithSmallPlans() {
        int[][] shapes = {{1, 1, 1}, {6, 64, 17}, {7, 65, 18}, {13, 129, 35}, {25, 33, 100}, {12, 200, 1}, {5, 3, 40}, {40, 150, 70}};
        for (Sgemm.Plan plan : PLANS)
            for (int[] s : shapes)
                for (int t : new int[] {1, 2, 3}) {
                    int m = s[0], n = s[1], k = s[2];
                    Tensor a = Tensor.randn(m * 31L + k, 1f, m, k), b = Tensor.randn(n * 17L + k, 1f, k, n);
                    check(plan, t, op(a), op(b), plan + " " + m + "x" + n + "x" + k + " threads " + t);
                    check(plan, t, op(a.t().contiguous().t()), op(b.t().contiguous().t()), "transposed " + plan + " " + m + "x" + n + "x" + k);
                }
    }

    @Test
    void halfPrecisionOperandsThroughPacking() {
        Arena arena = Arena.ofAuto();
        for (DType dt : new DType[] {DType.BF16, DType.F16, DType.F32, DType.F64})
            for (Sgemm.Plan plan : PLANS) {
                Tensor a = Tensor.randn(1, 1f, 19, 45).to(dt, arena), b = Tensor.randn(2, 1f, 45, 71).to(dt, arena);
                check(plan, 2, op(a), op(b), dt + " row-major " + plan);
                Tensor at = Tensor.randn(3, 1f, 45, 19).to(dt, arena), bt = Tensor.randn(4, 1f, 71, 45).to(dt, arena);
                check(plan, 2, op(at.t()), op(bt.t()), dt + " transposed " + plan);
            }
    }

    @Test
    void sixByTwoTileCopiesEveryKindOfA() {
        // the 6x2 path copies a non-row-major A row-major per A block (Packing.copyRows, column-major A in column
        // chunks of KCHUNK): several copy items per block (48 rows each), partial chunks, several A blocks, tile edges
        Sgemm.Plan[] plans = {new Sgemm.Plan(2, 9, 70, 7, false), new Sgemm.Plan(2, 9, 70, 7, true), new Sgemm.Plan(2, 64, 40, 54, false),
                new Sgemm.Plan(2, 512, 256, 4092, false), new Sgemm.Plan(2, 512, 256, 4092, true)};
        int[][] shapes = {{100, 37, 150}, {49, 17, 65}, {6, 16, 64}, {53, 33, 129}};
        Arena arena = Arena.ofAuto();
        for (Sgemm.Plan plan : plans)
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                Tensor b = Tensor.randn(n * 7L + k, 1f, k, n);
                Tensor at = Tensor.randn(m * 13L + k, 1f, k, m).t();          // column-major view
                check(plan, 2, op(at), op(b), "column-major A " + plan + " " + m + "x" + n + "x" + k);
                Tensor ab = Tensor.randn(m * 5L + k, 1f, m, k).to(DType.BF16, arena);
                check(plan, 1, op(ab), op(b), "BF16 A " + plan + " " + m + "x" + n + "x" + k);
                Tensor wide = Tensor.randn(m * 3L + k, 1f, m, k + 9).narrow(1, 4, k); // row stride k + 9, offset 4
                check(plan, 3, op(wide), op(b), "strided heap A " + plan + " " + m + "x" + n + "x" + k);
            }
    }

    @Test
    void accumulatesIntoC() {
        // gemm adds to C (linear relies on it to fuse the bias)
        Tensor a = Tensor.randn(1, 1f, 13, 20), b = Tensor.randn(2, 1f, 20, 40);
        float[] c = new float[13 * 40];
        java.util.Arrays.fill(c, 1.5f);
        Sgemm.gemm(2, op(a), op(b), c, 0, 40);
        float[] plain = new float[13 * 40];
        Sgemm.gemm(2, op(a), op(b), plain, 0, 40);
        for (int i = 0; i < c.length; i++) assertEquals(plain[i] + 1.5f, c[i], 1e-5f * (1 + Math.abs(plain[i])));
    }

    @Test
    void writesOnlyItsWindowOfC() {
        // C as a window (offset, leading dim wider than n): cells outside it stay untouched
        Tensor a = Tensor.randn(1, 1f, 9, 30), b = Tensor.randn(2, 1f, 30, 70);
        int ldc = 90, off = 5;
        float[] c = new float[off + 9 * ldc];
        java.util.Arrays.fill(c, Float.NaN);
        for (int i = 0; i < 9; i++) for (int j = 0; j < 70; j++) c[off + i * ldc + j] = 0;
        Sgemm.gemm(2, op(a), op(b), c, off, ldc, new Sgemm.Plan(4, 7, 1, 6, false));
        for (int i = 0; i < c.length; i++) if (!Float.isNaN(c[i])) c[i] = 0;
        Sgemm.gemm(2, op(a), op(b), c, off, ldc, new Sgemm.Plan(4, 7, 1, 6, true));
        for (int i = 0; i < c.length; i++) {
            int r = (i - off) / ldc, j = (i - off) % ldc;
            boolean inside = i >= off && j < 70 && r < 9;
            assertEquals(!inside, Float.isNaN(c[i]), "cell " + i);
        }
    }

    @Test
    void bf16AndF16WideningIsExactForEveryBitPattern() {
        // all 65536 half-precision patterns through the vector widening against the JDK's scalar conversions
        MemorySegment seg = Arena.ofAuto().allocate(2 * 65536 + 2, 64);
        for (int i = 0; i < 65536; i++) seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, (short) i);
        float[] bf = new float[65536], hf = new float[65536];
        Operand.widenBf16(seg, 0, 65536, bf, 0);
        Operand.widenF16(seg, 0, 65536, hf, 0);
        for (int i = 0; i < 65536; i++) {
            float eb = DType.bf16ToFloat((short) i), eh = Float.float16ToFloat((short) i);
            if (Float.floatToRawIntBits(eb) != Float.floatToRawIntBits(bf[i])) fail("bf16 " + Integer.toHexString(i) + ": " + eb + " vs " + bf[i]);
            boolean nan = Float.isNaN(eh);
            if (nan ? !Float.isNaN(hf[i]) : Float.floatToRawIntBits(eh) != Float.floatToRawIntBits(hf[i]))
                fail("f16 " + Integer.toHexString(i) + ": " + eh + " vs " + hf[i]);
        }
        // unaligned starts and tails: odd offsets and lengths
        float[] part = new float[37];
        Operand.widenF16(seg, 2 * 1001, 37, part, 0);
        for (int i = 0; i < 37; i++) assertEquals(Float.float16ToFloat((short) (1001 + i)), part[i]);
    }

    @Test
    void tileWidthFollowsTheSpecies() {
        assertEquals(MicroKernel.F.length(), MicroKernel.L);
        assertEquals(MicroKernel.NV * MicroKernel.L, Sgemm.DEFAULT.nr());
        assertTrue(MicroKernel.NV == 2 || MicroKernel.NV == 4);
    }

    static Operand op(Tensor t) {
        return new Operand(t.storage(), t.offset(), t.stride(0), t.stride(1), t.size(0), t.size(1));
    }

    private static void check(Sgemm.Plan plan, int threads, Operand a, Operand b, String what) {
        int m = a.rows, k = a.cols, n = b.cols;
        float[] c = new float[m * n];
        Sgemm.gemm(threads, a, b, c, 0, n, plan);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double exact = 0, scale = 0;
                for (int p = 0; p < k; p++) {
                    double x = (double) a.get(i, p) * b.get(p, j);
                    exact += x;
                    scale += Math.abs(x);
                }
                // the bound of GemmTestSupport: 2·K·u·Σ|a||b| (this reference is exact before rounding, so it is loose)
                double tol = GemmTestSupport.C * Math.max(1, k) * GemmTestSupport.U * scale;
                if (!(Math.abs(c[i * n + j] - exact) <= tol))
                    fail(what + ": C[" + i + "," + j + "] = " + c[i * n + j] + ", expected " + exact + " ± " + tol);
            }
    }
}
