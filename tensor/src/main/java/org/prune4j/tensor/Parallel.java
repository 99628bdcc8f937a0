package org.prune4j.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * The one shared ForkJoinPool every CPU kernel runs on, and a range splitter over it. Sharing one pool keeps
 * the thread count bounded when kernels call kernels; a caller's thread budget decides how many chunks run.
 */
public final class Parallel {
    private Parallel() {}

    /** Body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    public interface Range {
        void run(long from, long to);
    }

    private static final ForkJoinPool POOL = new ForkJoinPool(
            Math.max(1, Runtime.getRuntime().availableProcessors()),
            pool -> {
                ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setName("prune4j-kernel-" + t.getPoolIndex());
                t.setDaemon(true);
                return t;
            }, null, false);

    /** The shared pool (parallelism = available cores). */
    public static ForkJoinPool pool() {
        return POOL;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@code threads} contiguous chunks of at least {@code grain}
     * items; the calling thread runs the first chunk. Returns when every chunk is done; rethrows a chunk's exception.
     */
    public static void forRange(int threads, long n, long grain, Range body) {
        if (n <= 0) return;
        long chunks = Math.min(Math.max(1, threads), Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[(int) chunks - 1];
        for (int c = 1; c < chunks; c++) {
            long from = n * c / chunks, to = n * (c + 1) / chunks;
            tasks[c - 1] = POOL.submit(() -> body.run(from, to));
        }
        body.run(0, n / chunks);
        for (ForkJoinTask<?> t : tasks) t.join();
    }
}
