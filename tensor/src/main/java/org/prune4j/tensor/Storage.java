package org.prune4j.tensor;

/**
 * Flat element storage under a {@link Tensor}: a Java float array ({@link ArrayStorage}) or a
 * {@link java.lang.foreign.MemorySegment} in any {@link DType} ({@link SegmentStorage}), so memory-mapped
 * checkpoints are used in place. Indices are element indices, not bytes.
 */
public sealed interface Storage permits ArrayStorage, SegmentStorage {
    DType dtype();

    /** Number of elements. */
    long size();

    float getFloat(long index);

    void setFloat(long index, float value);

    /** False for read-only mapped files. */
    boolean writable();
}
