package org.prune4j.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Moves one strided run of elements between a {@link Storage} and a float array. Every "general path"
 * (copies, views of mapped BF16 checkpoints, strided kernel inputs) goes through here, so reading a
 * mapped BF16/F16/F32 row costs a vector conversion instead of a virtual call and a switch per element.
 */
public final class Strided {
    private Strided() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(F.vectorBitSize()));
    /** Shorts with as many lanes as F has floats (half the bits). */
    private static final VectorSpecies<Short> H = halfShortSpecies();

    private static VectorSpecies<Short> halfShortSpecies() {
        try {
            return VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
        } catch (IllegalArgumentException e) {
            return null; // 64-bit float vectors have no 32-bit short shape: the scalar loop is used
        }
    }

    /** Reads {@code n} elements at storage indices {@code base, base+stride, ...} into {@code dst[off..off+n)}. */
    public static void load(Storage s, long base, long stride, int n, float[] dst, int off) {
        if (n <= 0) return;
        switch (s) {
            case ArrayStorage(float[] a) -> {
                if (stride == 1) System.arraycopy(a, (int) base, dst, off, n);
                else for (int j = 0; j < n; j++) dst[off + j] = a[(int) (base + j * stride)];
            }
            case SegmentStorage(MemorySegment seg, DType dt) -> {
                if (stride != 1) {
                    for (int j = 0; j < n; j++) dst[off + j] = dt.read(seg, base + j * stride);
                    return;
                }
                switch (dt) {
                    case F32 -> MemorySegment.copy(seg, DType.F32_LE, base * 4, dst, off, n);
                    case BF16 -> loadBf16(seg, base * 2, n, dst, off);
                    case F16 -> {
                        for (int j = 0; j < n; j++) dst[off + j] = Float.float16ToFloat(seg.get(DType.I16_LE, (base + j) * 2));
                    }
                    default -> {
                        for (int j = 0; j < n; j++) dst[off + j] = dt.read(seg, base + j);
                    }
                }
            }
        }
    }

    /** bf16 -> f32 is a 16-bit left shift of the bits: widen shorts to ints, shift, reinterpret. */
    private static void loadBf16(MemorySegment seg, long byteOff, int n, float[] dst, int off) {
        int j = 0;
        if (H != null) {
            int l = F.length();
            for (; j <= n - l; j += l) {
                ShortVector h = ShortVector.fromMemorySegment(H, seg, byteOff + 2L * j, ByteOrder.LITTLE_ENDIAN);
                IntVector w = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
                w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, off + j);
            }
        }
        for (; j < n; j++) dst[off + j] = Float.intBitsToFloat(seg.get(DType.I16_LE, byteOff + 2L * j) << 16);
    }

    /** Writes {@code src[off..off+n)} to storage indices {@code base, base+stride, ...} (rounding to nearest even for BF16/F16). */
    public static void store(Storage s, long base, long stride, int n, float[] src, int off) {
        if (n <= 0) return;
        switch (s) {
            case ArrayStorage(float[] a) -> {
                if (stride == 1) System.arraycopy(src, off, a, (int) base, n);
                else for (int j = 0; j < n; j++) a[(int) (base + j * stride)] = src[off + j];
            }
            case SegmentStorage(MemorySegment seg, DType dt) -> {
                if (stride == 1 && dt == DType.F32) MemorySegment.copy(src, off, seg, DType.F32_LE, base * 4, n);
                else for (int j = 0; j < n; j++) dt.write(seg, base + j * stride, src[off + j]);
            }
        }
    }
}
