package org.prune4j.pruning;

import java.util.ArrayList;
import java.util.List;
import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;
import org.prune4j.pruning.granularity.PerMatrix;
import org.prune4j.pruning.sparsegpt.MaskRule;
import org.prune4j.pruning.sparsegpt.SparseGPT;
import org.prune4j.tensor.Kernels;

/**
 * SparseGPT as a {@link LinearPruner}: factor the input's Hessian once, then prune and reconstruct each weight
 * that reads it (adaptive per-block masks for unstructured targets, lazy per-group masks for N:M).
 */
public final class SparseGPTPruner implements LinearPruner {
    private final int blockSize;
    private final double percDamp;
    private final Kernels kernels;
    private final int threads;

    public SparseGPTPruner(int blockSize, double percDamp, Kernels kernels, int threads) {
        if (blockSize < 1) throw new PruningException("SparseGPT block size must be >= 1, got " + blockSize);
        this.blockSize = blockSize;
        this.percDamp = percDamp;
        this.kernels = kernels;
        this.threads = threads;
    }

    @Override public String name() { return "sparsegpt"; }

    @Override public Statistic needs() { return Statistic.GRAM; }

    @Override
    public List<LinearReport> prune(InputStats x, List<LinearWeight> weights) {
        if (x == null || x.gram() == null) throw new PruningException("sparsegpt needs the Gram matrix of the calibration inputs");
        for (LinearWeight lw : weights) {
            lw.requireFinite();
            if (lw.cols() != x.width())
                throw new PruningException(lw.name() + ": " + lw.cols() + " input columns but calibration saw " + x.width() + " features");
            if (lw.target() instanceof Sparsity.Groups g) g.requireFits(lw.cols(), lw.name());
        }
        SparseGPT.Factor f = SparseGPT.factor(x.takeGram(), x.tokens(), x.width(), percDamp, threads, x.where());
        List<LinearReport> out = new ArrayList<>();
        for (LinearWeight lw : weights) {
            MaskRule rule = switch (lw.target()) {
                case Sparsity.Groups g -> new MaskRule.Groups(g.nm(), g.denseTail());
                case Sparsity.Unstructured u -> new MaskRule.Adaptive(new PerMatrix(u.ratio()));
            };
            SparseGPT.Result r = SparseGPT.prune(lw.w(), lw.rows(), lw.cols(), f, rule, blockSize, kernels, threads);
            out.add(new LinearReport(lw.name(), lw.rows(), lw.cols(), r.zeros(), lw.target().label(), r.loss()));
        }
        return out;
    }
}
