package org.prune4j.tensor.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.prune4j.tensor.gemm.GemmTestSupport.assertClose;
import static org.prune4j.tensor.gemm.GemmTestSupport.checkMatmul;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.ShapeException;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;

/** The fast matmul and linear against the scalar oracle: shapes, layouts, batches, storage dtypes, GEMV paths. */
class MatmulTest {

    /** Sizes around the tile edges (6 rows, 2/4 vectors of lanes) and a few primes. */
    private static final int[] SIZES = {0, 1, 5, 6, 7, 13, 17, 33, 64, 65};

    @Test
    void randomShapesMatchOracle() {
        // m, n, k drawn from 0..70 (tile edges at 6 rows and 16/32/64 columns fall inside), threads 1..3
        qt().withExamples(60).withFixedSeed(7)
                .forAll(integers().between(0, 70), integers().between(0, 70), integers().between(0, 70), integers().between(1, 3))
                .checkAssert((m, n, k, t) -> checkMatmul(
                        Tensor.randn(m * 1000L + n, 1f, m, k), Tensor.randn(k * 7L + n, 1f, k, n), t, m + "x" + k + " @ " + k + "x" + n + " threads " + t));
    }

    @Test
    void sizesAroundTilesIncludingEmptyDims() {
        for (int m : SIZES)
            for (int n : new int[] {0, 1, 15, 16, 17, 64, 65, 130})
                for (int k : new int[] {0, 1, 7, 64}) {
                    checkMatmul(Tensor.randn(m + 31L * n + 977L * k, 1f, m, k), Tensor.randn(5 + m * n + k, 1f, k, n), 2,
                            m + "x" + k + " @ " + k + "x" + n);
                }
    }

    @Test
    void emptyInnerDimGivesZeros() {
        Tensor c = Matmul.matmul(Tensor.zeros(3, 0), Tensor.zeros(0, 5), 2);
        assertArrayEquals(new int[] {3, 5}, c.shape());
        for (float v : c.toFloatArray()) assertEquals(0f, v);
        assertEquals(0, Matmul.matmul(Tensor.zeros(0, 4), Tensor.zeros(4, 5), 2).numel());
    }

    @Test
    void transposedAndStridedOperands() {
        Tensor x = Tensor.randn(1, 1f, 40, 29);  // [K=40, M=29] -> a = x.t() is column-major
        Tensor w = Tensor.randn(2, 1f, 75, 40);  // [N=75, K=40] -> b = w.t(), the linear layout
        Tensor a = Tensor.randn(3, 1f, 29, 40), b = Tensor.randn(4, 1f, 40, 75);
        checkMatmul(x.t(), b, 2, "aᵀ @ b");
        checkMatmul(a, w.t(), 2, "a @ wᵀ");
        checkMatmul(x.t(), w.t(), 2, "aᵀ @ wᵀ");
        Tensor big = Tensor.randn(5, 1f, 90, 130);
        Tensor as = big.slice(0, 1, 59, 2).narrow(1, 3, 40);  // [29, 40], row stride 260
        Tensor bs = big.slice(1, 0, 130, 2).narrow(0, 10, 40).narrow(1, 0, 61);  // [40, 61], column stride 2
        checkMatmul(as, bs, 2, "strided a @ strided b");
        checkMatmul(as, bs.t().contiguous().t(), 3, "strided a @ transposed b");
        Tensor col = Tensor.randn(6, 1f, 40, 1);
        checkMatmul(a, col.expand(40, 33), 2, "b broadcast along n (column stride 0)");
        checkMatmul(Tensor.randn(7, 1f, 1, 40).expand(29, 40), b, 2, "a broadcast along m (row stride 0)");
    }

    @Test
    void batchedWithBroadcastBatchDims() {
        checkMatmul(Tensor.randn(1, 1f, 2, 3, 13, 20), Tensor.randn(2, 1f, 3, 20, 17), 2, "[2,3] @ [3] batches");
        checkMatmul(Tensor.randn(3, 1f, 2, 1, 7, 9), Tensor.randn(4, 1f, 1, 4, 9, 70), 3, "[2,1] @ [1,4] batches");
        checkMatmul(Tensor.randn(5, 1f, 4, 25, 33), Tensor.randn(6, 1f, 33, 65), 2, "[4] @ shared matrix (folded into rows)");
        checkMatmul(Tensor.randn(7, 1f, 25, 4, 33).transpose(0, 1), Tensor.randn(8, 1f, 33, 65), 2, "permuted batch @ shared matrix (not foldable)");
        checkMatmul(Tensor.randn(9, 1f, 6, 1, 33), Tensor.randn(10, 1f, 6, 33, 40), 2, "batched GEMV rows");
        checkMatmul(Tensor.randn(11, 1f, 8, 12, 16), Tensor.randn(12, 1f, 8, 24, 16).transpose(-2, -1), 2, "attention-like q·kᵀ, batch spread over threads");
        checkMatmul(Tensor.randn(13, 1f, 3, 1, 50), Tensor.randn(14, 1f, 50, 20), 2, "batch of single rows @ shared matrix");
    }

    @Test
    void halfPrecisionAndSegmentStorage() {
        Arena arena = Arena.ofAuto();
        for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            Tensor a = Tensor.randn(20, 1f, 31, 70).to(dt, arena), b = Tensor.randn(21, 1f, 70, 45).to(dt, arena);
            Tensor w = Tensor.randn(22, 1f, 45, 70).to(dt, arena);
            checkMatmul(a, b, 2, dt + " a @ b");
            checkMatmul(a, w.t(), 2, dt + " a @ wᵀ (transposed segment weight)");
            checkMatmul(a.t().contiguous().t(), b, 2, dt + " heap aᵀᵀ @ segment b");
            checkMatmul(a.narrow(0, 0, 1), w.t(), 2, dt + " GEMV x @ wᵀ from a segment");
            checkMatmul(a.narrow(0, 0, 1), b, 2, dt + " GEMV x @ W from a segment");
            checkMatmul(a, b.narrow(1, 0, 1), 2, dt + " matrix @ column");
            checkMatmul(a.slice(1, 0, 70, 3), b.slice(0, 0, 70, 3), 2, dt + " strided segment views");
        }
    }

    @Test
    void gemvShapes() {
        for (int k : new int[] {1, 3, 15, 16, 17, 63, 64, 100, 1000})
            for (int n : new int[] {1, 2, 3, 4, 5, 9, 64, 67, 300}) {
                Tensor x = Tensor.randn(k + n, 1f, 1, k);
                checkMatmul(x, Tensor.randn(n, 1f, n, k).t(), 2, "x @ wᵀ n=" + n + " k=" + k);
                checkMatmul(x, Tensor.randn(n + 1, 1f, k, n), 2, "x @ W n=" + n + " k=" + k);
                checkMatmul(Tensor.randn(n + 2, 1f, n, k), x.t(), 2, "W @ xᵀ n=" + n + " k=" + k);
            }
        // big enough to be split across threads
        checkMatmul(Tensor.randn(1, 1f, 1, 600), Tensor.randn(2, 1f, 500, 600).t(), 3, "parallel rowsDot");
        checkMatmul(Tensor.randn(3, 1f, 1, 600), Tensor.randn(4, 1f, 600, 500), 3, "parallel rowsAxpy");
    }

    @Test
    void linearFusesBias() {
        Arena arena = Arena.ofAuto();
        Tensor x = Tensor.randn(1, 1f, 2, 9, 40), w = Tensor.randn(2, 1f, 70, 40), bias = Tensor.randn(3, 1f, 70);
        checkLinear(x, w, bias, "3-D x");
        checkLinear(x, w, null, "no bias");
        checkLinear(x.narrow(1, 0, 1), w, bias, "one token (GEMV)");
        checkLinear(x.transpose(0, 1), w, bias, "non-foldable x");
        checkLinear(x, w.to(DType.BF16, arena), bias.to(DType.BF16, arena), "bf16 weight and bias");
        checkLinear(x.narrow(1, 0, 1), w.to(DType.BF16, arena), bias, "bf16 GEMV");
        checkLinear(Tensor.zeros(4, 0), Tensor.zeros(5, 0), bias.narrow(0, 0, 5), "k = 0 gives the bias");
        checkLinear(x, w, Tensor.randn(4, 1f, 1, 70), "[1, N] bias takes the general path");
        ShapeException e = assertThrows(ShapeException.class, () -> Matmul.linear(x, w, Tensor.zeros(69), 2));
        assertTrue(e.getMessage().contains("[69]"), e.getMessage());
        assertThrows(ShapeException.class, () -> Matmul.linear(x, Tensor.zeros(70, 41), null, 2));
        assertThrows(ShapeException.class, () -> Matmul.linear(Tensor.zeros(40), w, null, 2));
    }

    private static void checkLinear(Tensor x, Tensor w, Tensor bias, String what) {
        Tensor fast = new VectorKernels(2).linear(x, w, bias);
        Tensor oracle = ScalarKernels.INSTANCE.linear(x, w, bias);
        Tensor scale = GemmTestSupport.absProduct(x, w.t());
        if (bias != null) scale = ScalarKernels.INSTANCE.add(scale, GemmTestSupport.abs(bias));
        assertClose(fast, oracle, scale, x.size(-1), 1, what);
    }

    @Test
    void shapeErrorsNameBothShapes() {
        ShapeException e = assertThrows(ShapeException.class, () -> Matmul.matmul(Tensor.zeros(3, 4), Tensor.zeros(5, 6), 2));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[5, 6]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> Matmul.matmul(Tensor.zeros(2, 3, 4), Tensor.zeros(3, 4, 6), 2));
        assertTrue(e.getMessage().contains("[2, 3, 4]") && e.getMessage().contains("[3, 4, 6]"), e.getMessage());
        assertThrows(ShapeException.class, () -> Matmul.matmul(Tensor.zeros(4), Tensor.zeros(4, 6), 2));
    }

    @Test
    void identityAndTransposeProperties() {
        // A·I = A exactly (every product is a·1 or a·0, every sum adds zeros); (A·B)ᵀ = Bᵀ·Aᵀ within the bound
        qt().withExamples(20).withFixedSeed(3).forAll(integers().between(1, 80), integers().between(1, 80))
                .checkAssert((m, k) -> {
                    Tensor a = Tensor.randn(m * 100L + k, 1f, m, k);
                    float[] eye = new float[k * k];
                    for (int i = 0; i < k; i++) eye[i * k + i] = 1f;
                    assertArrayEquals(a.toFloatArray(), Matmul.matmul(a, Tensor.of(eye, k, k), 2).toFloatArray());
                    Tensor b = Tensor.randn(k + 5L, 1f, k, 37);
                    Tensor abT = Matmul.matmul(a, b, 2).t().contiguous();
                    assertClose(Matmul.matmul(b.t(), a.t(), 2), abT, GemmTestSupport.absProduct(b.t(), a.t()), k, k, "(AB)ᵀ vs BᵀAᵀ");
                });
    }
}
