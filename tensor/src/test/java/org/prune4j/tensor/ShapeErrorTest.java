package org.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad shapes give a ShapeException whose message names every shape involved, in the oracle and the fast backend alike. */
class ShapeErrorTest {
    static final Kernels[] KERNELS = {ScalarKernels.INSTANCE, new VectorKernels(2)};

    static void fails(Executable op, String... mustMention) {
        ShapeException e = assertThrows(ShapeException.class, op);
        for (String s : mustMention) assertTrue(e.getMessage().contains(s), "message \"" + e.getMessage() + "\" should mention " + s);
    }

    static void forEachKernel(Consumer<Kernels> body) {
        for (Kernels k : KERNELS) body.accept(k);
    }

    static Tensor z(int... shape) {
        return Tensor.zeros(shape);
    }

    @Test
    void elementwise() {
        forEachKernel(k -> {
            fails(() -> k.add(z(2, 3), z(4, 3)), "[2, 3]", "[4, 3]");
            fails(() -> k.where(z(2, 1), z(1, 3), z(4, 3)), "[2, 1]", "[1, 3]", "[4, 3]");
            fails(() -> k.maskedFill(z(2, 3), z(3, 3), 0f), "[2, 3]", "[3, 3]");
            fails(() -> k.maskedFill(z(1, 3), z(2, 3), 0f), "[1, 3]", "[2, 3]"); // the mask may not grow a
            fails(() -> k.swiglu(z(2, 3), z(3, 2)), "[2, 3]", "[3, 2]");
            fails(() -> k.addInPlace(z(2, 3), z(2, 4)), "[2, 3]", "[2, 4]");
        });
    }

    @Test
    void reductionsAndRows() {
        forEachKernel(k -> {
            fails(() -> k.sum(z(2, 3), 2, false), "[2, 3]", "dim 2");
            fails(() -> k.argmax(z(2, 3), -3), "[2, 3]", "dim -3");
            fails(() -> k.topk(z(2, 3), 4, 1, true), "[2, 3]", "k=4");
            fails(() -> k.sort(z(2, 3), 5, true), "[2, 3]");
            fails(() -> k.rmsNorm(z(2, 3), z(4), 1e-5f), "[2, 3]", "[4]");
            fails(() -> k.layerNorm(z(2, 3), z(3), z(3, 1), 1e-5f), "[2, 3]", "[3, 1]");
        });
    }

    @Test
    void ropeShapes() {
        forEachKernel(k -> {
            fails(() -> k.rope(z(2, 4, 5), z(2, 2), z(2, 2), false), "[2, 4, 5]", "even");
            fails(() -> k.rope(z(3, 2, 8), z(2, 4), z(2, 4), true), "[3, 2, 8]", "x", "cos [2, 4]", "sin [2, 4]");
            fails(() -> k.rope(z(3, 2, 8), z(3, 4), z(3, 3), false), "[3, 2, 8]", "[3, 4]", "[3, 3]");
            fails(() -> k.rope(z(2, 8), z(2, 4), z(2, 4), false), "[2, 8]", "[..., T, H, D]");
        });
    }

    @Test
    void attentionShapes() {
        forEachKernel(k -> {
            fails(() -> k.attention(z(1, 2, 4, 8), z(1, 3, 3, 8), z(1, 3, 3, 8), 1f, true), "q [1, 2, 4, 8]", "k [1, 3, 3, 8]", "v [1, 3, 3, 8]", "multiple");
            fails(() -> k.attention(z(1, 2, 4, 8), z(1, 3, 2, 8), z(1, 4, 2, 8), 1f, true), "[1, 3, 2, 8]", "[1, 4, 2, 8]", "differ");
            fails(() -> k.attention(z(1, 5, 4, 8), z(1, 3, 2, 8), z(1, 3, 2, 8), 1f, true), "[1, 5, 4, 8]", "more queries");
            fails(() -> k.attention(z(2, 2, 4, 8), z(1, 3, 2, 8), z(1, 3, 2, 8), 1f, true), "[2, 2, 4, 8]", "[1, 3, 2, 8]");
            fails(() -> k.attention(z(1, 2, 4, 8), z(1, 3, 2, 4), z(1, 3, 2, 4), 1f, false), "[1, 2, 4, 8]", "[1, 3, 2, 4]");
            fails(() -> k.attention(z(2, 4, 8), z(1, 3, 2, 8), z(1, 3, 2, 8), 1f, true), "[2, 4, 8]", "[B, T, H, D]");
        });
    }

    @Test
    void indexing() {
        forEachKernel(k -> {
            fails(() -> k.concat(1, z(2, 3), z(3, 3)), "[2, 3]", "[3, 3]");
            fails(() -> k.concat(0, z(2, 3), z(2, 3, 1)), "[2, 3]", "[2, 3, 1]");
            fails(() -> k.concat(2, z(2, 3)), "[2, 3]", "dim 2");
            fails(() -> k.indexSelect(z(2, 3), 1, new int[] {0, 3}), "[2, 3]", "index 3");
            fails(() -> k.indexSelect(z(2, 3), 1, new int[] {-1}), "[2, 3]", "index -1");
            fails(() -> k.embedding(z(2, 3, 4), new int[] {0}), "[2, 3, 4]", "[V, C]");
            assertThrows(IndexOutOfBoundsException.class, () -> k.embedding(z(5, 3), new int[] {-1}));
        });
    }

    @Test
    void broadcastOfThreeNamesAllThree() {
        fails(() -> Shapes.broadcast(new int[] {2, 1}, new int[] {1, 3}, new int[] {4, 3}), "[2, 1]", "[1, 3]", "[4, 3]");
    }
}
