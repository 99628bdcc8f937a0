package org.prune4j.transformer;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Tensor;

/** The fast widening used at load gives exactly what the element-by-element copy gives, for every weight dtype. */
class WidenTest {
    @Test
    void equalsTheElementwiseCopy() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor src = Tensor.randn(3, 2f, 300, 7);
            for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                Tensor stored = src.to(dt, arena);
                for (int threads : new int[] {1, 3}) {
                    Tensor w = Widen.toHeapF32(stored, threads);
                    assertTrue(w.isDenseArray());
                    assertArrayEquals(stored.copy().toFloatArray(), w.toFloatArray(), dt + " on " + threads + " threads");
                }
                Tensor view = stored.narrow(0, 5, 20); // offset view into the segment
                assertArrayEquals(view.copy().toFloatArray(), Widen.toHeapF32(view, 2).toFloatArray());
            }
        }
    }
}
