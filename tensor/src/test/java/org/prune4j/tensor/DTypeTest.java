package org.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Storage dtype conversions against known bit patterns. */
class DTypeTest {
    static short bf16(float f) {
        return DType.floatToBf16(f);
    }

    static float bits(int b) {
        return Float.intBitsToFloat(b);
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, bf16(1f));
        assertEquals((short) 0x3F80, bf16(bits(0x3F808000)), "tie between 0x3F80 and 0x3F81 goes to the even one");
        assertEquals((short) 0x3F82, bf16(bits(0x3F818000)), "tie between 0x3F81 and 0x3F82 goes to the even one");
        assertEquals((short) 0x3F81, bf16(bits(0x3F808001)), "just above the tie rounds up");
        assertEquals((short) 0x3F80, bf16(bits(0x3F807FFF)), "just below the tie rounds down");
        assertEquals((short) 0x8000, bf16(-0f));
        assertEquals((short) 0xC049, bf16(-3.14159f));
        assertEquals((short) 0x7F80, bf16(Float.MAX_VALUE), "rounds up to infinity, as PyTorch does");
        assertEquals((short) 0xFF80, bf16(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x0002, bf16(bits(0x00018000)), "subnormal tie to even");
        assertEquals((short) 0x7FC0, bf16(Float.NaN));
        assertEquals((short) 0x7FC0, bf16(bits(0x7F800001)), "a signalling NaN whose payload would truncate to inf stays NaN");
        assertEquals((short) 0xFFC1, bf16(bits(0xFF810000)), "a negative NaN keeps its sign and payload, made quiet");
        for (int h = 0; h < 65536; h++) { // every bf16 value converts to float and back unchanged
            float f = DType.bf16ToFloat((short) h);
            if (!Float.isNaN(f)) assertEquals((short) h, bf16(f), "bf16 " + Integer.toHexString(h));
        }
    }

    @Test
    void f16AndBf16SegmentsRoundTripEveryPattern() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2 * 65536);
            for (int h = 0; h < 65536; h++) seg.set(DType.I16_LE, 2L * h, (short) h);
            for (int h = 0; h < 65536; h++) {
                float f16 = DType.F16.read(seg, h), b16 = DType.BF16.read(seg, h);
                assertEquals(Float.floatToRawIntBits(Float.float16ToFloat((short) h)), Float.floatToRawIntBits(f16));
                assertEquals(h << 16, Float.floatToRawIntBits(b16), "bf16 is the high half of a float");
            }
            MemorySegment out = arena.allocate(2);
            DType.F16.write(out, 0, 65504f);
            assertEquals((short) 0x7BFF, out.get(DType.I16_LE, 0), "largest half");
            DType.F16.write(out, 0, 1f / 3);
            assertEquals((short) 0x3555, out.get(DType.I16_LE, 0));
            DType.F16.write(out, 0, 65520f);
            assertEquals((short) 0x7C00, out.get(DType.I16_LE, 0), "65520 is the tie to infinity");
            DType.BF16.write(out, 0, bits(0x3F818000));
            assertEquals((short) 0x3F82, out.get(DType.I16_LE, 0));
        }
    }

    @Test
    void fp8Decoding() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(256);
            for (int i = 0; i < 256; i++) seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) i);
            // E4M3 (OCP "fn"): bias 7, no infinities, S.1111.111 is NaN
            assertEquals(0f, DType.F8_E4M3.read(seg, 0x00));
            assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(DType.F8_E4M3.read(seg, 0x80)));
            assertEquals(1f, DType.F8_E4M3.read(seg, 0x38));
            assertEquals(-1f, DType.F8_E4M3.read(seg, 0xB8));
            assertEquals(448f, DType.F8_E4M3.read(seg, 0x7E), "largest E4M3");
            assertEquals(0x1p-6f, DType.F8_E4M3.read(seg, 0x08), "smallest normal");
            assertEquals(0x1p-9f, DType.F8_E4M3.read(seg, 0x01), "smallest subnormal");
            assertEquals(0.875f * 0x1p-6f, DType.F8_E4M3.read(seg, 0x07), "largest subnormal");
            assertEquals(240f, DType.F8_E4M3.read(seg, 0x77), "1.875 * 2^7");
            assertTrue(Float.isNaN(DType.F8_E4M3.read(seg, 0x7F)));
            assertTrue(Float.isNaN(DType.F8_E4M3.read(seg, 0xFF)));
            // E5M2: the high byte of an IEEE half
            assertEquals(1f, DType.F8_E5M2.read(seg, 0x3C));
            assertEquals(-2f, DType.F8_E5M2.read(seg, 0xC0));
            assertEquals(57344f, DType.F8_E5M2.read(seg, 0x7B), "largest E5M2");
            assertEquals(0x1p-16f, DType.F8_E5M2.read(seg, 0x01), "smallest subnormal");
            assertEquals(Float.POSITIVE_INFINITY, DType.F8_E5M2.read(seg, 0x7C));
            assertEquals(Float.NEGATIVE_INFINITY, DType.F8_E5M2.read(seg, 0xFC));
            assertTrue(Float.isNaN(DType.F8_E5M2.read(seg, 0x7F)));
        }
    }

    @Test
    void integerTypesReadExactly() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(8);
            seg.fill((byte) 0xFF);
            assertEquals(-1, DType.I8.readLong(seg, 0));
            assertEquals(255, DType.U8.readLong(seg, 0));
            assertEquals(-1, DType.I16.readLong(seg, 0));
            assertEquals(65535, DType.U16.readLong(seg, 0));
            assertEquals(-1, DType.I32.readLong(seg, 0));
            assertEquals(4294967295L, DType.U32.readLong(seg, 0));
            assertEquals(-1, DType.I64.readLong(seg, 0));
            assertEquals(4294967295f, DType.U32.read(seg, 0));
            assertEquals(255f, DType.BOOL.read(seg, 0));
            DType.I32.write(seg, 0, 123456f);
            assertEquals(123456, DType.I32.readLong(seg, 0));
            DType.BOOL.write(seg, 0, 0.5f);
            assertEquals(1, DType.BOOL.readLong(seg, 0));
        }
    }

    @Test
    void safetensorsNames() {
        for (DType d : DType.values()) assertSame(d, DType.fromSafetensors(d.safetensorsName()));
        assertNull(DType.fromSafetensors("F4"));
        assertTrue(DType.BF16.isWeightType() && !DType.I8.isWeightType());
        assertEquals(2, DType.BF16.size);
        assertEquals(1, DType.F8_E4M3.size);
    }
}
