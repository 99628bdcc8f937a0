package org.prune4j.pruning.structured;

import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LlamaModel;

/**
 * {@code --depth-metric loss}: a layer's importance is how much the mean next-token loss over the calibration
 * windows grows when that layer alone is skipped (its input passed straight to the next layer).
 */
final class LayerSkipLoss {
    private LayerSkipLoss() {}

    /** loss(model without layer l) − loss(model), for every l. */
    static double[] increase(LlamaModel m, ScoringInput in) {
        int n = m.numLayers();
        double base = loss(m, in, -1);
        double[] d = new double[n];
        long t0 = System.nanoTime();
        for (int l = 0; l < n; l++) {
            d[l] = loss(m, in, l) - base;
            double s = (System.nanoTime() - t0) / 1e9;
            in.log().printf(java.util.Locale.ROOT, "depth-metric loss: layer %d/%d skipped  %.1f s, ETA %.1f s%n", l + 1, n, s, s / (l + 1) * (n - l - 1));
        }
        return d;
    }

    /** Mean NLL over every predicted position of the windows, skipping layer {@code skip} (-1: none). */
    static double loss(LlamaModel m, ScoringInput in, int skip) {
        Kernels k = m.kernels();
        double sum = 0;
        long count = 0;
        for (int[][] rows : in.batches()) {
            Tensor h = m.embed(rows);
            for (int i = 0; i < m.numLayers(); i++) if (i != skip) h = m.forwardLayer(i, h, 0, null);
            int b = rows.length, t = rows[0].length;
            Tensor lsm = k.logSoftmax(m.head(h).reshape(b * t, m.config().vocabSize())); // [B*T, V]
            for (int r = 0; r < b; r++)
                for (int p = 0; p + 1 < t; p++) {
                    sum -= lsm.get(r * t + p, rows[r][p + 1]);
                    count++;
                }
        }
        if (!Double.isFinite(sum)) throw new StructuredException("depth-metric loss: the loss is not finite (skipping layer " + skip + ")");
        return sum / count;
    }
}
