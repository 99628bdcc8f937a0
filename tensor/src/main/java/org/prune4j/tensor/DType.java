package org.prune4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Storage element types. Compute is always F32; BF16/F16 are storage formats for weights, and the
 * integer/bool types exist so that any safetensors entry can be viewed (read as float values).
 * Names follow the safetensors dtype strings so io can map them one to one.
 */
public enum DType {
    F64(8, true), F32(4, true), F16(2, true), BF16(2, true),
    F8_E4M3(1, true), F8_E5M2(1, true),
    I64(8, false), U64(8, false), I32(4, false), U32(4, false), I16(2, false), U16(2, false),
    I8(1, false), U8(1, false), BOOL(1, false);

    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Bytes per element. */
    public final int size;
    /** True for floating-point formats. */
    public final boolean floating;

    DType(int size, boolean floating) {
        this.size = size;
        this.floating = floating;
    }

    /** The dtype named by a safetensors header string ("F32", "BF16", ...), or null when unknown. */
    public static DType fromSafetensors(String name) {
        for (DType d : values()) if (d.name().equals(name)) return d;
        return null;
    }

    /** The safetensors header string of this dtype. */
    public String safetensorsName() {
        return name();
    }

    /** True for the dtypes a Tensor may be written in (F32, BF16, F16). */
    public boolean isWeightType() {
        return this == F32 || this == BF16 || this == F16;
    }

    /** Reads element {@code index} (not a byte offset) of a little-endian segment as a float. */
    public float read(MemorySegment seg, long index) {
        long b = index * size;
        return switch (this) {
            case F32 -> seg.get(F32_LE, b);
            case BF16 -> bf16ToFloat(seg.get(I16_LE, b));
            case F16 -> Float.float16ToFloat(seg.get(I16_LE, b));
            case F64 -> (float) seg.get(F64_LE, b);
            case F8_E4M3 -> e4m3ToFloat(seg.get(ValueLayout.JAVA_BYTE, b));
            case F8_E5M2 -> Float.float16ToFloat((short) (seg.get(ValueLayout.JAVA_BYTE, b) << 8));
            default -> (float) readLong(seg, index);
        };
    }

    /** Reads element {@code index} of an integer or bool segment exactly (U64 above 2^63 wraps). */
    public long readLong(MemorySegment seg, long index) {
        long b = index * size;
        return switch (this) {
            case I64, U64 -> seg.get(I64_LE, b);
            case I32 -> seg.get(I32_LE, b);
            case U32 -> Integer.toUnsignedLong(seg.get(I32_LE, b));
            case I16 -> seg.get(I16_LE, b);
            case U16 -> Short.toUnsignedInt(seg.get(I16_LE, b));
            case I8 -> seg.get(ValueLayout.JAVA_BYTE, b);
            case U8, BOOL -> Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, b));
            default -> (long) read(seg, index);
        };
    }

    /** Writes element {@code index} of a little-endian segment, rounding to nearest even for BF16/F16. */
    public void write(MemorySegment seg, long index, float v) {
        long b = index * size;
        switch (this) {
            case F32 -> seg.set(F32_LE, b, v);
            case BF16 -> seg.set(I16_LE, b, floatToBf16(v));
            case F16 -> seg.set(I16_LE, b, Float.floatToFloat16(v));
            case F64 -> seg.set(F64_LE, b, v);
            case I64, U64 -> seg.set(I64_LE, b, (long) v);
            case I32, U32 -> seg.set(I32_LE, b, (int) (long) v);
            case I16, U16 -> seg.set(I16_LE, b, (short) (long) v);
            case I8, U8 -> seg.set(ValueLayout.JAVA_BYTE, b, (byte) (long) v);
            case BOOL -> seg.set(ValueLayout.JAVA_BYTE, b, (byte) (v != 0 ? 1 : 0));
            default -> throw new UnsupportedOperationException("writing " + this + " is not supported");
        }
    }

    /** bfloat16 bits to float: the bf16 value is the high half of an IEEE float. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** float to bfloat16 bits, round to nearest even (as PyTorch does); NaN stays NaN. */
    public static short floatToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7fffffff) > 0x7f800000) return (short) ((x >>> 16) | 0x40); // quiet NaN
        int rounding = 0x7fff + ((x >>> 16) & 1);
        return (short) ((x + rounding) >>> 16);
    }

    /** OCP FP8 E4M3 (the "fn" variant: no infinities, S.1111.111 is NaN) to float. */
    static float e4m3ToFloat(byte v) {
        int s = (v >> 7) & 1, e = (v >> 3) & 0xf, m = v & 7;
        float r;
        if (e == 0xf && m == 7) r = Float.NaN;
        else if (e == 0) r = m * 0x1p-9f; // subnormal: m/8 * 2^-6
        else r = (1 + m / 8f) * (float) Math.scalb(1.0, e - 7);
        return s == 1 ? -r : r;
    }
}
