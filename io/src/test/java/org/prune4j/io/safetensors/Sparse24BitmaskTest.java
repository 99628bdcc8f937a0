package org.prune4j.io.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Tensor;

/** The sparse-24-bitmask layout: a round trip, and every rule of the reader refusing a file that breaks it, by name. */
class Sparse24BitmaskTest {
    @TempDir Path tmp;

    private Path file(String name, long[] shape, DType valuesType, long[] valuesShape, byte[] mask, long[] maskShape) throws Exception {
        Path f = tmp.resolve(name + ".safetensors");
        try (SafeTensorsWriter w = SafeTensorsWriter.create(f)) {
            w.declare("w.shape", DType.I64, 2, 1);
            w.declare("w.compressed", valuesType, valuesShape);
            w.declare("w.bitmask", DType.U8, maskShape);
            w.writeLongs("w.shape", shape);
            int n = (int) (valuesShape[0] * valuesShape[1]);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = i + 1;
            w.write("w.compressed", Tensor.of(v, (int) valuesShape[0], (int) valuesShape[1]));
            w.writeBytes("w.bitmask", MemorySegment.ofArray(mask));
            w.commit();
        }
        return f;
    }

    @Test
    void roundTripAndRefusals() throws Exception {
        // 1 row, 8 inputs: groups {0,3} and {5,6} kept -> bits 0b01101001
        Path ok = file("ok", new long[] {1, 8}, DType.F32, new long[] {1, 4}, new byte[] {(byte) 0b01101001}, new long[] {1, 1});
        try (SafeTensors st = SafeTensors.open(ok)) {
            assertTrue(Sparse24Bitmask.storedIn(st, "w.weight"));
            assertArrayEquals(new float[] {1, 0, 0, 2, 0, 3, 4, 0}, Sparse24Bitmask.read(st, "w.weight").toFloatArray());
        }
        Path three = file("three", new long[] {1, 8}, DType.F32, new long[] {1, 4}, new byte[] {(byte) 0b01100111}, new long[] {1, 1});
        try (SafeTensors st = SafeTensors.open(three)) {
            SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> Sparse24Bitmask.read(st, "w.weight"));
            assertTrue(e.getMessage().contains("w.bitmask") && e.getMessage().contains("inputs 0..3 set 3 bits"), e.getMessage());
        }
        Path width = file("width", new long[] {1, 6}, DType.F32, new long[] {1, 3}, new byte[] {0b1001}, new long[] {1, 1});
        try (SafeTensors st = SafeTensors.open(width)) {
            SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> Sparse24Bitmask.read(st, "w.weight"));
            assertTrue(e.getMessage().contains("w.shape") && e.getMessage().contains("multiple of 4"), e.getMessage());
        }
        Path values = file("values", new long[] {1, 8}, DType.F32, new long[] {1, 5}, new byte[] {(byte) 0b01101001}, new long[] {1, 1});
        try (SafeTensors st = SafeTensors.open(values)) {
            SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> Sparse24Bitmask.read(st, "w.weight"));
            assertTrue(e.getMessage().contains("w.compressed") && e.getMessage().contains("[1, 4]"), e.getMessage());
        }
    }
}
