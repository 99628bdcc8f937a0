package org.prune4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.ScalarKernels;

/** The measurement code: run counts, medians and the derived rates (with the scalar backend: no JIT warm-up needed). */
class BenchTest {
    private static final Timing QUICK = Timing.DEFAULT.withRuns(3).withWarmupSeconds(0);

    @Test
    void timingRunsWarmupThenTimedRuns() {
        AtomicInteger calls = new AtomicInteger();
        double[] t = new Timing(2, 0, 0, 0, 5, 0).measure(calls::incrementAndGet);
        assertEquals(5, t.length);
        assertEquals(7, calls.get());
        for (int i = 1; i < t.length; i++) assertTrue(t[i - 1] <= t[i], "sorted");
        assertEquals(2.0, Timing.median(new double[] {1, 2, 3}));
        assertEquals(2.5, Timing.median(new double[] {1, 2, 3, 4}));
        assertThrows(IllegalArgumentException.class, () -> new Timing(0, 0, 0, 0, 0, 0));
    }

    @Test
    void gemmRateIsFlopsOverMedianTime() {
        GemmBench.Result r = GemmBench.run(ScalarKernels.INSTANCE, 7, 9, 11, QUICK);
        assertEquals(7, r.m());
        assertTrue(r.ms() > 0 && r.runs() >= 3);
        assertEquals(2.0 * 7 * 9 * 11 / (r.ms() / 1e3) / 1e9, r.gflops(), 1e-9 * r.gflops());
        assertThrows(IllegalArgumentException.class, () -> GemmBench.run(ScalarKernels.INSTANCE, 0, 1, 1, QUICK));
    }

    @Test
    void gemvCountsWeightBytesOfItsDtype() {
        GemvBench.Result f = GemvBench.run(ScalarKernels.INSTANCE, 16, 24, DType.F32, QUICK);
        GemvBench.Result h = GemvBench.run(ScalarKernels.INSTANCE, 16, 24, DType.BF16, QUICK);
        assertEquals(16.0 * 24 * 4 / (f.ms() / 1e3) / 1e9, f.gbps(), 1e-9 * f.gbps());
        assertEquals(16.0 * 24 * 2 / (h.ms() / 1e3) / 1e9, h.gbps(), 1e-9 * h.gbps());
        assertThrows(IllegalArgumentException.class, () -> GemvBench.run(ScalarKernels.INSTANCE, 4, 4, DType.I32, QUICK));
    }

    @Test
    void streamKernelsComputeTheRightThing() {
        float[] a = new float[100_003], b = new float[a.length];
        double expect = 0;
        for (int i = 0; i < a.length; i++) expect += (a[i] = (i % 7) - 3);
        assertEquals(expect, StreamBench.sum(a, 2), 1e-6);
        StreamBench.copy(a, b, 2);
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        StreamBench.Result r = StreamBench.run(ScalarKernels.INSTANCE, 1 << 20, QUICK);
        assertTrue(r.readGbps() > 0 && r.copyGbps() > 0 && r.bytes() == 1 << 20);
    }
}
