package org.prune4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Storage over a little-endian {@link MemorySegment} in any {@link DType}: a memory-mapped checkpoint
 * tensor (viewed, never copied), or off-heap memory. Values are converted to float on read.
 */
public record SegmentStorage(MemorySegment segment, DType dtype) implements Storage {
    public SegmentStorage {
        if (segment.byteSize() % dtype.size != 0)
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes is not a whole number of " + dtype + " elements");
    }

    /** Fresh zeroed off-heap storage of {@code n} elements in {@code arena}. */
    public static SegmentStorage allocate(Arena arena, DType dtype, long n) {
        return new SegmentStorage(arena.allocate(n * dtype.size, 64), dtype);
    }

    @Override public long size() { return segment.byteSize() / dtype.size; }
    @Override public float getFloat(long index) { return dtype.read(segment, index); }
    @Override public void setFloat(long index, float value) { dtype.write(segment, index, value); }
    @Override public boolean writable() { return !segment.isReadOnly(); }
}
