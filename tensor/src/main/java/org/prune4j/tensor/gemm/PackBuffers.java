package org.prune4j.tensor.gemm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;

/**
 * A small pool of 64-byte aligned off-heap buffers for packed panels, so a GEMM allocates nothing large per call and
 * vector loads never straddle cache lines (heap arrays are only 8-byte aligned). Buffers are taken and given back
 * per block, never held in thread-locals: a kernel re-entered on the same thread (fork-join helping) gets its own.
 * Memory belongs to automatic arenas, so dropped buffers are freed by the GC.
 */
final class PackBuffers {
    private PackBuffers() {}

    /** More than this many idle buffers: the smallest is dropped. */
    private static final int MAX_IDLE = 2 * Runtime.getRuntime().availableProcessors() + 4;
    private static final ArrayList<MemorySegment> IDLE = new ArrayList<>();

    /** The smallest idle buffer of at least {@code bytes}, or a new one; 64-byte aligned, contents undefined. */
    static MemorySegment acquire(long bytes) {
        synchronized (IDLE) {
            int best = -1;
            for (int i = 0; i < IDLE.size(); i++) {
                long size = IDLE.get(i).byteSize();
                if (size >= bytes && (best < 0 || size < IDLE.get(best).byteSize())) best = i;
            }
            if (best >= 0) return IDLE.remove(best);
        }
        long size = Math.max(1 << 16, (bytes + 0xffff) & ~0xffffL);
        return Arena.ofAuto().allocate(size, 64);
    }

    private static final ArrayList<float[]> IDLE_FLOATS = new ArrayList<>();

    /**
     * The smallest idle heap array of at least {@code floats}, or a new one; contents undefined. The 6×2 kernel reads
     * its panels from heap arrays (int indices: C2 removes the range checks), see {@link MicroKernel#kernel6x2}.
     */
    static float[] acquireFloats(long floats) {
        if (floats > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("packed block of " + floats + " floats");
        synchronized (IDLE_FLOATS) {
            int best = -1;
            for (int i = 0; i < IDLE_FLOATS.size(); i++) {
                int size = IDLE_FLOATS.get(i).length;
                if (size >= floats && (best < 0 || size < IDLE_FLOATS.get(best).length)) best = i;
            }
            if (best >= 0) return IDLE_FLOATS.remove(best);
        }
        return new float[(int) Math.min(Integer.MAX_VALUE - 16, Math.max(1 << 14, (floats + 0x3fff) & ~0x3fffL))];
    }

    /** Returns an array from {@link #acquireFloats} for reuse. */
    static void releaseFloats(float[] a) {
        synchronized (IDLE_FLOATS) {
            IDLE_FLOATS.add(a);
            if (IDLE_FLOATS.size() > MAX_IDLE) {
                int smallest = 0;
                for (int i = 1; i < IDLE_FLOATS.size(); i++) if (IDLE_FLOATS.get(i).length < IDLE_FLOATS.get(smallest).length) smallest = i;
                IDLE_FLOATS.remove(smallest);
            }
        }
    }

    /** Returns a buffer from {@link #acquire} for reuse. */
    static void release(MemorySegment s) {
        synchronized (IDLE) {
            IDLE.add(s);
            if (IDLE.size() > MAX_IDLE) {
                int smallest = 0;
                for (int i = 1; i < IDLE.size(); i++) if (IDLE.get(i).byteSize() < IDLE.get(smallest).byteSize()) smallest = i;
                IDLE.remove(smallest);
            }
        }
    }
}
