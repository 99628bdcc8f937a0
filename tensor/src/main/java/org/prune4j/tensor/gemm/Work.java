package org.prune4j.tensor.gemm;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 *
 * <p>Waking a parked pool thread took 100-300 µs on the development VMs (the idle virtual CPU halts, and the host
 * must wake it), a sixth of a 4096² GEMV on two threads. So a helper that has finished its job stays awake for
 * {@link #SPIN_NANOS} and joins the next job at once (as OpenBLAS's threads do), and a caller whose last items run
 * on a helper spins that long before it parks. Spinning helpers give way to any other task queued in the pool.
 */
final class Work {
    private Work() {}

    /** How long an idle helper spins for the next job, and a waiting caller before it parks: 200 µs, or -Dprune4j.work.spinMicros. */
    static final long SPIN_NANOS = Long.getLong("prune4j.work.spinMicros", 200) * 1000;

    /** One call's items, shares and completion; participant 0 is the caller, seats 1..parts-1 go to helpers. */
    private static final class Job {
        final int parts, items;
        final IntConsumer body;
        /** next[p]: the next unclaimed item of share p, which is items [start(p), start(p + 1)). */
        final AtomicIntegerArray next;
        /** The next seat to hand out (the caller holds seat 0). */
        final AtomicInteger seats = new AtomicInteger(1);
        final CountDownLatch done;
        final AtomicReference<Throwable> error = new AtomicReference<>();

        Job(int parts, int items, IntConsumer body) {
            this.parts = parts;
            this.items = items;
            this.body = body;
            next = new AtomicIntegerArray(parts);
            for (int p = 0; p < parts; p++) next.set(p, start(p));
            done = new CountDownLatch(items);
        }

        int start(int p) {
            return (int) ((long) items * p / parts);
        }

        /** Participant {@code self}: its own share first, then the others' in turn. */
        void drain(int self) {
            for (int d = 0; d < parts; d++) {
                int p = (self + d) % parts, end = start(p + 1);
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

    /** The job whose seats are being handed out, for helpers spinning between jobs; null when none. */
    private static final AtomicReference<Job> OPEN = new AtomicReference<>();
    /** Helpers now spinning for a job (each will take a seat of the next open job). */
    private static final AtomicInteger SPINNING = new AtomicInteger();

    /** Runs {@code body.accept(i)} for every i in [0, items) on up to {@code threads} threads; rethrows the first failure. */
    static void forEach(int threads, int items, IntConsumer body) {
        if (items <= 0) return;
        int parts = Math.min(threads, items);
        if (parts <= 1) {
            for (int i = 0; i < items; i++) body.accept(i);
            return;
        }
        Job job = new Job(parts, items, body);
        OPEN.set(job);
        // spinning helpers take seats by themselves; wake pool threads for the rest. (A spinner that gives up after
        // this read still sees the job: it leaves SPINNING before its last look at OPEN.)
        for (int h = SPINNING.get(); h < parts - 1; h++) Parallel.pool().execute(Work::help);
        job.drain(0);
        OPEN.compareAndSet(job, null);
        await(job.done);
        Throwable t = job.error.get();
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }

    /**
     * A helper on a pool thread: takes a seat of the open job, drains it, and spins for the next one; returns to the
     * pool after {@link #SPIN_NANOS} without a job, or as soon as other tasks wait in the pool.
     */
    private static void help() {
        ForkJoinPool pool = Parallel.pool();
        long idleSince = System.nanoTime();
        SPINNING.incrementAndGet();
        try {
            for (int spins = 0; ; spins++) {
                Job job = OPEN.get();
                if (job != null && job.seats.get() < job.parts) {
                    SPINNING.decrementAndGet();
                    try {
                        int seat = job.seats.getAndIncrement();
                        if (seat < job.parts) job.drain(seat);
                    } finally {
                        SPINNING.incrementAndGet();
                    }
                    idleSince = System.nanoTime();
                    continue;
                }
                if ((spins & 63) == 0 && (System.nanoTime() - idleSince > SPIN_NANOS
                        || pool.hasQueuedSubmissions() || pool.getQueuedTaskCount() > 0)) break;
                Thread.onSpinWait();
            }
        } finally {
            SPINNING.decrementAndGet();
        }
        // last look: a caller that counted this helper as spinning before it left relies on it
        Job job = OPEN.get();
        if (job != null) {
            int seat = job.seats.getAndIncrement();
            if (seat < job.parts) job.drain(seat);
        }
    }

    /** Waits for every item: spinning first (items on a helper usually end within microseconds), then parked. */
    private static void await(CountDownLatch done) {
        long start = System.nanoTime();
        while (done.getCount() > 0 && System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
        boolean interrupted = false;
        while (true) {
            try {
                if (done.await(1, TimeUnit.DAYS) || done.getCount() == 0) break;
            } catch (InterruptedException e) {
                interrupted = true; // items in flight still write into our buffers: wait for them regardless
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
