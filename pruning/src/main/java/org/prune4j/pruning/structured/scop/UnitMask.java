package org.prune4j.pruning.structured.scop;

import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.DecoderLayer;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;

/**
 * Removes units by zeroing their outgoing weights in place, which computes exactly what the model with the units cut
 * out computes: a neuron's down_proj column (its gate/up rows then feed nothing), a head's o_proj columns. For
 * evaluating a selection in process without writing a checkpoint; the structured writer removes them for real.
 */
public final class UnitMask {
    private UnitMask() {}

    /** Keeps only {@code kept[l]} (unit indices) in every layer l. NEURON and HEAD only. */
    public static void apply(LlamaModel m, UnitKind kind, int[][] kept) {
        if (kind != UnitKind.NEURON && kind != UnitKind.HEAD) throw new IllegalArgumentException("masking supports neurons and heads, not " + kind);
        for (int l = 0; l < m.numLayers(); l++) {
            DecoderLayer layer = m.layer(l);
            Linear which = kind == UnitKind.NEURON ? Linear.DOWN : Linear.O;
            int group = kind == UnitKind.NEURON ? 1 : layer.headDim();
            Tensor w = layer.weight(which);                                   // [C, I] or [C, H·D]
            int out = w.size(0), in = w.size(1);
            boolean[] keep = new boolean[in / group];
            for (int u : kept[l]) keep[u] = true;
            float[] a = w.contiguous().toFloatArray();
            for (int r = 0; r < out; r++) for (int c = 0; c < in; c++) if (!keep[c / group]) a[r * in + c] = 0;
            layer.setWeight(which, Tensor.of(a, out, in));
        }
    }
}
