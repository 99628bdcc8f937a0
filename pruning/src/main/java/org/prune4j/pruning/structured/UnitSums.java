package org.prune4j.pruning.structured;

import java.util.EnumMap;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.DecoderLayer;
import org.prune4j.transformer.Linear;

/**
 * Sums of a per-weight quantity f(w_ij, j) over each unit's weights in one decoder layer: a head is its q rows and
 * o columns (plus its k/v rows under MHA, where they go with it); a KV group its k/v rows and its query heads' q rows
 * and o columns; a neuron its gate row, up row and down column; a channel its input column of q/k/v/gate/up and its
 * output row of o/down. Magnitude sums w², per-unit Wanda sums |w|·‖X_j‖.
 */
final class UnitSums {
    /** The per-weight quantity: value w at row i, column j of linear {@code l}. */
    @FunctionalInterface
    interface Weighting {
        double of(Linear l, float w, int j);
    }

    final double[] heads, kvGroups, neurons, channels;
    final double layer;

    UnitSums(DecoderLayer layer, Weighting f) {
        int h = layer.numHeads(), hkv = layer.numKvHeads(), d = layer.headDim(), c = layer.hiddenSize(), inter = layer.intermediateSize();
        EnumMap<Linear, double[]> rows = new EnumMap<>(Linear.class), cols = new EnumMap<>(Linear.class);
        double total = 0;
        for (Linear l : Linear.values()) {
            Tensor w = layer.weight(l).contiguous();
            int out = w.size(0), in = w.size(1);
            float[] a = w.array();
            int off = (int) w.offset();
            double[] r = new double[out], col = new double[in];
            for (int i = 0; i < out; i++) {
                double s = 0;
                int base = off + i * in;
                for (int j = 0; j < in; j++) {
                    double v = f.of(l, a[base + j], j);
                    s += v;
                    col[j] += v;
                }
                r[i] = s;
                total += s;
            }
            rows.put(l, r);
            cols.put(l, col);
        }
        this.layer = total;
        heads = new double[h];
        int groupSize = h / hkv;
        for (int q = 0; q < h; q++) {
            heads[q] = range(rows.get(Linear.Q), q * d, d) + range(cols.get(Linear.O), q * d, d);
            if (hkv == h) heads[q] += range(rows.get(Linear.K), q * d, d) + range(rows.get(Linear.V), q * d, d);
        }
        kvGroups = new double[hkv];
        for (int g = 0; g < hkv; g++) {
            kvGroups[g] = range(rows.get(Linear.K), g * d, d) + range(rows.get(Linear.V), g * d, d);
            for (int q = g * groupSize; q < (g + 1) * groupSize; q++)
                kvGroups[g] += range(rows.get(Linear.Q), q * d, d) + range(cols.get(Linear.O), q * d, d);
        }
        neurons = new double[inter];
        for (int i = 0; i < inter; i++) neurons[i] = rows.get(Linear.GATE)[i] + rows.get(Linear.UP)[i] + cols.get(Linear.DOWN)[i];
        channels = new double[c];
        for (int j = 0; j < c; j++)
            channels[j] = cols.get(Linear.Q)[j] + cols.get(Linear.K)[j] + cols.get(Linear.V)[j] + cols.get(Linear.GATE)[j]
                    + cols.get(Linear.UP)[j] + rows.get(Linear.O)[j] + rows.get(Linear.DOWN)[j];
    }

    private static double range(double[] a, int from, int n) {
        double s = 0;
        for (int i = from; i < from + n; i++) s += a[i];
        return s;
    }

    /** Column sums of f over a [rows, cols] table (embeddings, the output head). */
    static double[] columnSums(Tensor w, java.util.function.DoubleUnaryOperator f) {
        Tensor t = w.contiguous();
        int rows = t.size(0), cols = t.size(1);
        float[] a = t.array();
        int off = (int) t.offset();
        double[] s = new double[cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) s[j] += f.applyAsDouble(a[off + i * cols + j]);
        return s;
    }
}
