package org.prune4j.tensor.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.prune4j.tensor.Tensor;

/** Dynamic scheduling: every item exactly once, failures propagate, nesting on pool threads does not deadlock. */
class WorkTest {

    @Test
    void everyItemRunsExactlyOnce() {
        for (int threads : new int[] {1, 2, 5})
            for (int items : new int[] {0, 1, 3, 100}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(items, 1));
                Work.forEach(threads, items, seen::incrementAndGet);
                for (int i = 0; i < items; i++) assertEquals(1, seen.get(i), "item " + i + " of " + items + " with " + threads + " threads");
            }
    }

    @Test
    void firstFailurePropagates() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Work.forEach(3, 50, i -> {
            if (i == 17) throw new IllegalStateException("item 17 failed");
        }));
        assertEquals("item 17 failed", e.getMessage());
    }

    @Test
    void concurrentCallersBackToBackEachSeeTheirOwnItems() throws Exception {
        // helpers spin between jobs and take seats of whichever job is open: callers on other threads must still
        // get every one of their items exactly once, also when jobs follow each other within the spin window
        int callers = 4, rounds = 300;
        Thread[] ts = new Thread[callers];
        Throwable[] failure = new Throwable[1];
        for (int c = 0; c < callers; c++) {
            int items = 7 + 13 * c;
            ts[c] = new Thread(() -> {
                try {
                    for (int r = 0; r < rounds; r++) {
                        AtomicIntegerArray seen = new AtomicIntegerArray(items);
                        Work.forEach(3, items, seen::incrementAndGet);
                        for (int i = 0; i < items; i++) assertEquals(1, seen.get(i), "item " + i + " of " + items + ", round " + r);
                    }
                } catch (Throwable t) {
                    synchronized (failure) {
                        if (failure[0] == null) failure[0] = t;
                    }
                }
            });
            ts[c].start();
        }
        for (Thread t : ts) t.join();
        if (failure[0] != null) throw new AssertionError(failure[0]);
    }

    @Test
    void nestedProductsOnPoolThreadsFinish() {
        // products inside items (as attention over heads would do) share the pool with their callers
        Tensor a = Tensor.randn(1, 1f, 40, 70), b = Tensor.randn(2, 1f, 70, 90);
        float[] expected = Matmul.matmul(a, b, 1).toFloatArray();
        float[][] got = new float[8][];
        Work.forEach(4, 8, i -> got[i] = Matmul.matmul(a, b, 4).toFloatArray());
        for (float[] g : got) assertArrayEquals(expected, g, 1e-4f);
    }
}
