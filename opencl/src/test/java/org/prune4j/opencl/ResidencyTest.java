package org.prune4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.SegmentStorage;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.UnaryOp;

/** Weights kept on the device: which ones, the resident GEMM's results, release, close, and refusing Aparapi's Java fall-back. */
@ExtendWith(OpenCLSession.class)
class ResidencyTest {
    private static final ScalarKernels ORACLE = ScalarKernels.INSTANCE;

    /** Same bound as ProductsTest: (K + 1) u sum_k |x_ik w_jk|. */
    static void checkLinear(Tensor x, Tensor w, Tensor got, String what) {
        int k = w.size(1);
        Tensor absProd = ORACLE.linear(ORACLE.unary(UnaryOp.ABS, x), ORACLE.unary(UnaryOp.ABS, w), null);
        float[] s = absProd.toFloatArray();
        Close.within(ORACLE.linear(x, w, null), got, (i, e) -> (k + 1) * Close.U * s[i] * 1.0001 + Float.MIN_NORMAL, what);
    }

    /** A read-only F32 weight in off-heap memory, like a tensor of a memory-mapped checkpoint. */
    static Tensor readOnly(Arena arena, Tensor values) {
        MemorySegment seg = arena.allocate(4 * values.numel(), 64);
        Tensor rw = Tensor.of(new SegmentStorage(seg, DType.F32), values.shape());
        rw.copyFrom(values);
        return Tensor.of(new SegmentStorage(seg.asReadOnly(), DType.F32), values.shape());
    }

    @Test
    void keptWeightsRunTheResidentKernelInBothModes(OpenCLKernels k) {
        qt().withExamples(15).forAll(integers().between(1, 80), integers().between(1, 150), integers().between(1, 150), integers().between(0, 1 << 20))
                .checkAssert((rows, in, out, seed) -> {
                    Tensor w = Tensor.randn(seed, 1, out, in), x = Tensor.randn(seed + 1, 1, rows, in);
                    k.keepResident(w);
                    checkLinear(x, w, k.linear(x, w, null), "first use, uploaded with the call");
                    checkLinear(x, w, Ran.on(k, "residentGemm", () -> k.linear(x, w, null)), "resident " + rows + "x" + in + "x" + out);
                    // leading batch dims flatten into rows; BF16 activations are widened before upload
                    Tensor x3 = Tensor.randn(seed + 2, 1, 2, rows, in);
                    checkLinear(x3.reshape(2 * rows, in), w, Ran.on(k, "residentGemm", () -> k.matmul(x3, w.t())).reshape(2 * rows, out), "resident batched");
                    k.release(w);
                });
        assertEquals(0, k.residency().weights());
        assertEquals(0, k.residency().arenas(), "releasing every weight of an arena frees it");
    }

    @Test
    void weightsStayOnTheDeviceUntilReleased(OpenCLKernels k) {
        Tensor w = Tensor.randn(1, 1, 40, 24), x = Tensor.randn(2, 1, 5, 24);
        k.keepResident(w);
        k.linear(x, w, null);
        Tensor before = Ran.on(k, "residentGemm", () -> k.linear(x, w, null));
        // change the host weight in place without telling the backend: the device copy is what runs
        w.array()[0] += 10f;
        Close.exact(before, Ran.on(k, "residentGemm", () -> k.linear(x, w, null)), "the device kept its copy");
        k.release(w);
        Tensor after = k.linear(x, w, null);
        assertNotEquals("residentGemm", k.lastKernel(), "a released writable weight is not cached again unless kept");
        checkLinear(x, w, after, "after release the new values are used");
    }

    @Test
    void readOnlyWeightsBecomeResidentOnSecondUse(OpenCLKernels k) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor w1 = readOnly(arena, Tensor.randn(3, 1, 30, 20)), w2 = readOnly(arena, Tensor.randn(4, 1, 25, 20));
            Tensor x = Tensor.randn(5, 1, 4, 20);
            Residency start = k.residency();
            checkLinear(x, w1, Ran.on(k, "gemm", () -> k.linear(x, w1, null)), "first use of w1: per-call upload");
            checkLinear(x, w2, Ran.on(k, "gemm", () -> k.linear(x, w2, null)), "first use of w2: per-call upload");
            assertEquals(start.pending() + 2, k.residency().pending());
            checkLinear(x, w1, Ran.on(k, "residentGemm", () -> k.linear(x, w1, null)), "second use of w1: resident");
            Residency r = k.residency();
            assertEquals(start.weights() + 2, r.weights(), "both pending weights were uploaded together");
            assertEquals(start.arenas() + 1, r.arenas(), "into one arena");
            checkLinear(x, w2, Ran.on(k, "residentGemm", () -> k.linear(x, w2, null)), "w2 resident too");
            k.release(w1, w2);
            assertEquals(start.weights(), k.residency().weights());
        }
    }

    @Test
    void keptTensorsNeverMultipliedTakeNoDeviceMemory(OpenCLKernels k) {
        Tensor w = Tensor.randn(20, 1, 12, 10), table = Tensor.randn(21, 1, 50, 10), x = Tensor.randn(22, 1, 3, 10);
        Residency start = k.residency();
        k.keepResident(w, table);
        k.embedding(table, new int[] {1, 2});
        k.linear(x, w, null);
        Ran.on(k, "residentGemm", () -> k.linear(x, w, null));
        assertEquals(start.weights() + 1, k.residency().weights(), "only the multiplied weight was uploaded");
        assertEquals(start.arenaBytes() + 4L * 12 * 10, k.residency().arenaBytes());
        k.release(w, table);
    }

    @Test
    void writableWeightsAreNeverCachedUnlessKept(OpenCLKernels k) {
        Tensor w = Tensor.randn(6, 1, 16, 16), x = Tensor.randn(7, 1, 3, 16);
        for (int i = 0; i < 3; i++) checkLinear(x, w, Ran.on(k, "gemm", () -> k.linear(x, w, null)), "writable use " + i);
    }

    @Test
    void largeWeightsSplitAcrossArenas() {
        try (OpenCLKernels k = OpenCLKernels.open(Devices.select("opencl"), 1, 1000, 100_000)) {
            Tensor big = Tensor.randn(8, 1, 90, 30), small = Tensor.randn(9, 1, 7, 30);   // 2700 floats: three arenas of <= 1000
            k.keepResident(big, small);
            Tensor x = Tensor.randn(10, 1, 5, 30), x1 = Tensor.randn(11, 1, 1, 30);
            k.linear(x, big, null);
            k.linear(x, small, null);
            checkLinear(x, big, Ran.on(k, "residentGemm", () -> k.linear(x, big, null)), "split weight, tiled");
            checkLinear(x1, big, Ran.on(k, "residentGemm", () -> k.linear(x1, big, null)), "split weight, rows");
            checkLinear(x, small, Ran.on(k, "residentGemm", () -> k.linear(x, small, null)), "packed after it");
            Residency r = k.residency();
            assertEquals(2, r.weights());
            assertTrue(r.arenas() >= 3, "90 x 30 floats cannot fit arenas of 1000: " + r);
            k.release(big);
            assertTrue(k.residency().arenas() < r.arenas(), "arenas holding only the released weight are freed: " + k.residency());
        }
    }

    @Test
    void weightsBeyondTheBudgetStayOnTheHost() {
        try (OpenCLKernels k = OpenCLKernels.open(Devices.select("opencl"), 1, 1 << 20, 500)) {
            Tensor w = Tensor.randn(12, 1, 40, 20), x = Tensor.randn(13, 1, 3, 20);
            k.keepResident(w);
            k.linear(x, w, null);
            checkLinear(x, w, Ran.on(k, "gemm", () -> k.linear(x, w, null)), "over budget: computed with a per-call upload");
            assertEquals(1, k.residency().declined());
            assertEquals(0, k.residency().arenas());
        }
    }

    @Test
    void closeFreesEverythingAndRefusesFurtherWork() {
        OpenCLKernels k = OpenCLKernels.open(Devices.select("opencl"), 1);
        Tensor w = Tensor.randn(14, 1, 8, 8);
        k.keepResident(w);
        k.linear(Tensor.randn(15, 1, 2, 8), w, null);
        k.linear(Tensor.randn(15, 1, 2, 8), w, null);
        assertEquals(1, k.residency().arenas());
        WeightArena arena = k.weights().arenas().get(0);
        k.close();
        assertTrue(arena.closed(), "the arena's device buffers were released");
        assertEquals(0, k.residency().arenas());
        assertThrows(IllegalStateException.class, () -> k.softmax(Tensor.randn(1, 1, 2, 2)));
        assertThrows(IllegalStateException.class, () -> k.linear(Tensor.randn(1, 1, 2, 8), w, null));
        k.close(); // idempotent
    }

    @Test
    void aparapiJavaFallbackIsRefused() {
        try (OpenCLKernels k = OpenCLKernels.open(Devices.select("opencl"), 1)) {
            Tensor w = Tensor.randn(16, 1, 8, 8);
            k.keepResident(w);
            k.linear(Tensor.randn(17, 1, 1, 8), w, null);
            Ran.on(k, "residentGemm", () -> k.linear(Tensor.randn(17, 1, 1, 8), w, null));
            k.weights().arenas().get(0).forceJavaThreadPoolForTest();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> k.linear(Tensor.randn(18, 1, 1, 8), w, null));
            assertTrue(e.getMessage().contains("Java thread pool"), e.getMessage());
        }
    }
}
