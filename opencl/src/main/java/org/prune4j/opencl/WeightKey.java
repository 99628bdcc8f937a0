package org.prune4j.opencl;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.prune4j.tensor.ArrayStorage;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.SegmentStorage;
import org.prune4j.tensor.Storage;
import org.prune4j.tensor.Tensor;

/**
 * Identity of a weight view for the residency cache: the memory it reads (a heap array by identity, or a segment by
 * address, size and dtype, so two {@link SegmentStorage} objects over the same mapped bytes agree) plus the view
 * (offset, shape, strides). Two views of the same memory with different layouts are different weights.
 */
record WeightKey(Object base, long address, long bytes, DType dtype, long offset, int[] shape, long[] strides) {

    static WeightKey of(Tensor t) {
        Storage s = t.storage();
        Object base;
        long address = 0, bytes;
        if (s instanceof ArrayStorage(float[] data)) {
            base = data;
            bytes = 4L * data.length;
        } else if (s instanceof SegmentStorage(MemorySegment seg, DType ignored)) {
            base = seg.heapBase().orElse(null);
            address = seg.address();
            bytes = seg.byteSize();
        } else {
            throw new IllegalArgumentException("unknown storage " + s.getClass());
        }
        return new WeightKey(base, address, bytes, s.dtype(), t.offset(), t.shape(), t.strides());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WeightKey k && base == k.base && address == k.address && bytes == k.bytes && dtype == k.dtype
                && offset == k.offset && Arrays.equals(shape, k.shape) && Arrays.equals(strides, k.strides);
    }

    @Override
    public int hashCode() {
        int h = System.identityHashCode(base);
        h = 31 * h + Long.hashCode(address);
        h = 31 * h + Long.hashCode(bytes);
        h = 31 * h + dtype.hashCode();
        h = 31 * h + Long.hashCode(offset);
        h = 31 * h + Arrays.hashCode(shape);
        return 31 * h + Arrays.hashCode(strides);
    }

    @Override
    public String toString() {
        return "weight " + Arrays.toString(shape) + " " + dtype + " @" + Long.toHexString(address) + "+" + offset;
    }
}
