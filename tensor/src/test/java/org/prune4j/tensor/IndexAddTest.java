package org.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Kernels.indexAdd, the scatter-add behind embedding and index-select gradients. */
class IndexAddTest {
    @Test
    void repeatedIndicesAccumulate() {
        Tensor dst = Tensor.zeros(3, 2);
        Tensor src = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        ScalarKernels.INSTANCE.indexAdd(dst, 0, new int[] {2, 0, 2}, src);
        assertArrayEquals(new float[] {3, 4, 0, 0, 6, 8}, dst.toFloatArray());
    }

    @Test
    void alongAnInnerDimAndIntoAStridedView() {
        Tensor base = Tensor.zeros(2, 3);
        Tensor dst = base.t(); // [3, 2] view, strided
        ScalarKernels.INSTANCE.indexAdd(dst, 1, new int[] {1}, Tensor.of(new float[] {1, 2, 3}, 3, 1));
        assertArrayEquals(new float[] {0, 0, 0, 1, 2, 3}, base.toFloatArray());
    }

    @Test
    void badShapesAndIndicesNameTheProblem() {
        Tensor dst = Tensor.zeros(3, 2);
        ShapeException e = assertThrows(ShapeException.class, () -> ScalarKernels.INSTANCE.indexAdd(dst, 0, new int[] {0}, Tensor.zeros(1, 3)));
        assertTrue(e.getMessage().contains("[1, 3]") && e.getMessage().contains("[3, 2]"), e.getMessage());
        assertThrows(ShapeException.class, () -> ScalarKernels.INSTANCE.indexAdd(dst, 0, new int[] {3}, Tensor.zeros(1, 2)));
    }
}
