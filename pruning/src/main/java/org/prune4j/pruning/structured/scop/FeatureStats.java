package org.prune4j.pruning.structured.scop;

import org.prune4j.pruning.knockoff.Covariance;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * Accumulates the mean and covariance of every site's feature vector over the calibration positions (one sample per
 * position; the dense model, no intervention), through the model's {@link Observer} hooks.
 */
final class FeatureStats implements Observer {
    private final UnitKind kind;
    private final Covariance[] cov;
    private final Covariance.Gram gram;

    FeatureStats(UnitKind kind, LlamaModel m) {
        this.kind = kind;
        Kernels k = m.kernels();
        // dᵀd of each block of positions by the model's GEMM: the O(N p²) part of the statistics
        gram = (d, rows, p) -> k.matmul(Tensor.of(d, rows, p).t(), Tensor.of(d, rows, p)).contiguous().toFloatArray();
        cov = new Covariance[Sites.count(kind, m)];
        for (int s = 0; s < cov.length; s++) cov[s] = new Covariance(Sites.dim(kind, m, s));
    }

    Covariance site(int s) { return cov[s]; }

    private void add(int site, Tensor x) {
        int p = cov[site].dim();
        cov[site].addRows(x.contiguous().toFloatArray(), (int) (x.numel() / p), gram);
    }

    @Override public void linearInput(int layer, Linear which, Tensor x) {
        if (kind == UnitKind.NEURON && which == Linear.DOWN) add(layer, x);            // [N, I]
        if (kind == UnitKind.CHANNEL && which == Linear.Q) add(2 * layer, x);          // [N, C] attention norm output
        if (kind == UnitKind.CHANNEL && which == Linear.GATE) add(2 * layer + 1, x);   // [N, C] MLP norm output
    }

    @Override public void headOutputs(int layer, Tensor perHead) {
        if (kind == UnitKind.HEAD) add(layer, perHead);                                 // [B, T, H, D] as [N, H·D]
    }
}
