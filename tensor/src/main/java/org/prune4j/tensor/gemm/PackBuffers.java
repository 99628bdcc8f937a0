package org.prune4j.tensor.gemm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small pool of 64-byte aligned off-heap buffers for packed panels, so a GEMM allocates nothing large per call and
 * vector loads never straddle cache lines (heap arrays are only 8-byte aligned). Buffers are taken and given back
 * per block, never held in thread-locals: a kernel re-entered on the same thread (fork-join helping) gets its own.
 * Memory belongs to automatic arenas, so dropped buffers are freed by the GC.
 */
final class PackBuffers {
    private PackBuffers() {}

    /** More than this many idle buffers are dropped rather than kept. */
    private static final int MAX_IDLE = 2 * Runtime.getRuntime().availableProcessors() + 4;
    private static final ConcurrentLinkedQueue<MemorySegment> IDLE = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger idleCount = new AtomicInteger();

    /** A buffer of at least {@code bytes}, 64-byte aligned, contents undefined. */
    static MemorySegment acquire(long bytes) {
        for (int tries = 0; tries < 4; tries++) {
            MemorySegment s = IDLE.poll();
            if (s == null) break;
            idleCount.decrementAndGet();
            if (s.byteSize() >= bytes) return s;
            // too small for this caller: let the GC free it
        }
        long size = Math.max(1 << 16, (bytes + 0xffff) & ~0xffffL);
        return Arena.ofAuto().allocate(size, 64);
    }

    /** Returns a buffer from {@link #acquire} for reuse. */
    static void release(MemorySegment s) {
        if (idleCount.incrementAndGet() <= MAX_IDLE) IDLE.offer(s);
        else idleCount.decrementAndGet();
    }
}
