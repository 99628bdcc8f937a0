package org.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;

class TensorViewTest {
    @Test
    void transposeOfTransposeIsIdentity() {
        qt().forAll(integers().between(1, 7), integers().between(1, 7), integers().between(0, 1000))
                .checkAssert((m, n, seed) -> {
                    Tensor a = Tensor.randn(seed, 1f, m, n);
                    assertArrayEquals(a.toFloatArray(), a.t().t().toFloatArray());
                    assertFalse(m > 1 && n > 1 && a.t().isContiguous());
                });
    }

    @Test
    void illegalReshapeStatesBothShapes() {
        Tensor a = Tensor.zeros(2, 3);
        ShapeException e = assertThrows(ShapeException.class, () -> a.reshape(4, 2));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 2]"), e.getMessage());
    }
}
