package org.prune4j.distill;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.Tensor;

/**
 * Keeps a sparse student sparse: the weights that are exactly zero at the start are recorded per matrix, their
 * gradients are zeroed before clipping and the update, and they are set to zero again after it (AdamW with a zero
 * gradient and zero moments already leaves them at 0; the second write makes it independent of the optimizer).
 * So a 2:4 student is still 2:4 after training, and clipping sees only the gradients that are applied.
 */
public final class SparsityMasks {
    private record Mask(Var param, BitSet zeros) {}

    private final List<Mask> masks = new ArrayList<>();
    private long zeros;

    /** Masks of the decoder matrices (names model.layers.*, rank 2) among {@code params} that hold zeros. */
    public static SparsityMasks of(Map<String, Var> params) {
        SparsityMasks s = new SparsityMasks();
        params.forEach((name, p) -> {
            if (!name.startsWith("model.layers.") || p.rank() != 2) return;
            float[] a = p.value().toFloatArray();
            BitSet z = new BitSet(a.length);
            for (int i = 0; i < a.length; i++) if (a[i] == 0f) z.set(i);
            if (!z.isEmpty()) {
                s.masks.add(new Mask(p, z));
                s.zeros += z.cardinality();
            }
        });
        return s;
    }

    /** True when no tracked matrix has a zero. */
    public boolean isEmpty() { return masks.isEmpty(); }

    /** Zeros kept, over all matrices. */
    public long zeros() { return zeros; }

    /** Sets the masked entries of every gradient to zero. */
    public void maskGradients() {
        for (Mask m : masks) if (m.param.grad() != null) clear(m.param.grad(), m.zeros);
    }

    /** Sets the masked entries of every weight to zero. */
    public void maskWeights() {
        for (Mask m : masks) clear(m.param.value(), m.zeros);
    }

    private static void clear(Tensor t, BitSet zeros) {
        if (!t.isDenseArray()) throw new IllegalStateException("masked tensors must be dense heap arrays");
        float[] a = t.array();
        int o = (int) t.offset();
        for (int i = zeros.nextSetBit(0); i >= 0; i = zeros.nextSetBit(i + 1)) a[o + i] = 0f;
    }
}
