package org.prune4j.tensor;

/** F32 storage on the Java heap; what every op allocates for its result. */
public record ArrayStorage(float[] data) implements Storage {
    @Override public DType dtype() { return DType.F32; }
    @Override public long size() { return data.length; }
    @Override public float getFloat(long index) { return data[(int) index]; }
    @Override public void setFloat(long index, float value) { data[(int) index] = value; }
    @Override public boolean writable() { return true; }
}
