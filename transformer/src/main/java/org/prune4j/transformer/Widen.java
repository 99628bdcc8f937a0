package org.prune4j.transformer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Parallel;
import org.prune4j.tensor.Tensor;

/**
 * Checkpoint tensors (memory-mapped F32/BF16/F16) to F32 heap arrays at memory speed: bulk copies and a tight
 * conversion loop split over threads, instead of one virtual read per element (which loads a 1B-parameter model at
 * ~70 MB/s). Anything else falls back to {@link Tensor#copy()}.
 */
final class Widen {
    private Widen() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static Tensor toHeapF32(Tensor t, int threads) {
        MemorySegment seg = t.segment();
        DType dt = t.dtype();
        if (seg == null || !t.isContiguous() || !dt.isWeightType() || t.numel() > Integer.MAX_VALUE - 8) return t.copy();
        int n = (int) t.numel();
        float[] out = new float[n];
        long base = t.offset();
        Parallel.forRange(threads, n, 1 << 20, (from, to) -> {
            int f = (int) from, len = (int) (to - from);
            switch (dt) {
                case F32 -> MemorySegment.copy(seg, F32, (base + f) * 4, out, f, len);
                case BF16 -> {
                    short[] buf = new short[Math.min(len, 1 << 16)];
                    for (int at = 0; at < len; at += buf.length) {
                        int m = Math.min(buf.length, len - at);
                        MemorySegment.copy(seg, I16, (base + f + at) * 2, buf, 0, m);
                        for (int i = 0; i < m; i++) out[f + at + i] = Float.intBitsToFloat((buf[i] & 0xffff) << 16);
                    }
                }
                default -> { // F16
                    short[] buf = new short[Math.min(len, 1 << 16)];
                    for (int at = 0; at < len; at += buf.length) {
                        int m = Math.min(buf.length, len - at);
                        MemorySegment.copy(seg, I16, (base + f + at) * 2, buf, 0, m);
                        for (int i = 0; i < m; i++) out[f + at + i] = Float.float16ToFloat(buf[i]);
                    }
                }
            }
        });
        return Tensor.of(out, t.shape());
    }
}
