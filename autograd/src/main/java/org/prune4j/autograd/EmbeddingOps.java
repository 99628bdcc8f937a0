package org.prune4j.autograd;

import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;

/** Embedding gather: rows of a table by token id; backward scatter-adds each row's gradient into the table's. */
final class EmbeddingOps {
    private EmbeddingOps() {}

    /** table [V, C], ids [N] -> [N, C]. */
    static Var embedding(Tape tape, Var table, int[] ids) {
        Kernels k = tape.kernels();
        int[] idsCopy = ids.clone();
        Tensor y = k.embedding(table.value(), idsCopy);
        return tape.record("embedding", y, dy -> {
            Tensor g = tape.ownedGrad(table); // [V, C]; repeated ids add up
            k.indexAdd(g, 0, idsCopy, dy);
        }, table);
    }
}
