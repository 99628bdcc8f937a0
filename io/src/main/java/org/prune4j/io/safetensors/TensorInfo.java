package org.prune4j.io.safetensors;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import org.prune4j.tensor.DType;

/**
 * One header entry of a safetensors file: where a tensor's bytes are and how to read them. {@code begin} and
 * {@code end} are the header's {@code data_offsets}, relative to the start of the data area (the byte after the
 * header); {@code file} is the shard holding the bytes. Validated by the reader: {@code end - begin} equals
 * {@code numel × dtype.size} and nothing overflows.
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end, Path file) {
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    @Override
    public long[] shape() { return shape.clone(); }

    /** Number of dims. */
    public int rank() { return shape.length; }

    /** Number of elements (validated not to overflow when read from a file). */
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Bytes of data. */
    public long byteSize() { return end - begin; }

    /** The shape as ints, as {@link org.prune4j.tensor.Tensor} takes it; throws when a dim exceeds an int. */
    public int[] intShape() {
        int[] s = new int[shape.length];
        for (int i = 0; i < s.length; i++) {
            if (shape[i] > Integer.MAX_VALUE)
                throw new IllegalStateException(name + ": dim " + i + " of shape " + Arrays.toString(shape) + " exceeds " + Integer.MAX_VALUE);
            s[i] = (int) shape[i];
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end && Objects.equals(file, t.file);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end, file);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")" + (file == null ? "" : " in " + file.getFileName());
    }
}
