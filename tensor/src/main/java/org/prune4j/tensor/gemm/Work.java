package org.prune4j.tensor.gemm;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import org.prune4j.tensor.Parallel;

/**
 * Scheduling on the shared kernel pool: the items are split into one contiguous share per participant (the calling
 * thread and up to {@code threads - 1} pool helpers); each drains its own share first, then takes what is left of the
 * others'. On a quiet machine every thread thus gets the same rows call after call (its caches still hold them, as
 * with a static split); on a machine shared with other processes a preempted or late thread's items are taken over,
 * where a static split waits for the slowest thread (measured 100x slower than one thread under load). The caller
 * waits only for items another thread has started. Cannot deadlock when called from a pool thread: the caller can
 * run every item itself.
 */
final class Work {
    private Work() {}

    /** Runs {@code body.accept(i)} for every i in [0, items) on up to {@code threads} threads; rethrows the first failure. */
    static void forEach(int threads, int items, IntConsumer body) {
        if (items <= 0) return;
        int parts = Math.min(threads, items);
        if (parts <= 1) {
            for (int i = 0; i < items; i++) body.accept(i);
            return;
        }
        // share p is items [start(p), start(p + 1)); next[p] is the next unclaimed item of share p
        AtomicIntegerArray next = new AtomicIntegerArray(parts);
        for (int p = 0; p < parts; p++) next.set(p, (int) ((long) items * p / parts));
        CountDownLatch done = new CountDownLatch(items);
        AtomicReference<Throwable> error = new AtomicReference<>();
        for (int h = 1; h < parts; h++) {
            int self = h;
            Parallel.pool().execute(() -> drain(self, parts, items, next, done, error, body));
        }
        drain(0, parts, items, next, done, error, body);
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

    /** Participant {@code self}: its own share first, then the others' in turn. */
    private static void drain(int self, int parts, int items, AtomicIntegerArray next, CountDownLatch done,
                              AtomicReference<Throwable> error, IntConsumer body) {
        for (int d = 0; d < parts; d++) {
            int p = (self + d) % parts;
            int end = (int) ((long) items * (p + 1) / parts);
            for (int i; (i = next.getAndIncrement(p)) < end; ) {
                try {
                    if (error.get() == null) body.accept(i);
                } catch (Throwable t) {
                    error.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            }
        }
    }
}
