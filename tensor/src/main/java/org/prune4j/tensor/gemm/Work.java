package org.prune4j.tensor.gemm;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import org.prune4j.tensor.Parallel;

/**
 * Dynamic scheduling on the shared kernel pool: items are handed out one at a time from a counter to the calling
 * thread and up to {@code threads - 1} pool helpers. The caller waits only for items another thread has already
 * started, never for a helper to be scheduled: on a machine shared with other processes a static split waits for the
 * slowest (often preempted) thread, which measured 100x slower than one thread under load. A helper that starts late
 * finds nothing left and returns. Cannot deadlock when called from a pool thread: the caller can run every item itself.
 */
final class Work {
    private Work() {}

    /** Runs {@code body.accept(i)} for every i in [0, items) on up to {@code threads} threads; rethrows the first failure. */
    static void forEach(int threads, int items, IntConsumer body) {
        if (items <= 0) return;
        int helpers = Math.min(threads, items) - 1;
        if (helpers <= 0) {
            for (int i = 0; i < items; i++) body.accept(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(items);
        AtomicReference<Throwable> error = new AtomicReference<>();
        Runnable loop = () -> {
            for (int i; (i = next.getAndIncrement()) < items; ) {
                try {
                    if (error.get() == null) body.accept(i);
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            }
        };
        for (int h = 0; h < helpers; h++) Parallel.pool().execute(loop);
        loop.run();
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // items in flight still write into our buffers: wait for them regardless
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        Throwable t = error.get();
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }
}
