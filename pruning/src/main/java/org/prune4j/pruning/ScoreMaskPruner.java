package org.prune4j.pruning;

import java.util.ArrayList;
import java.util.List;
import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;
import org.prune4j.pruning.criterion.Criterion;
import org.prune4j.pruning.granularity.Granularity;
import org.prune4j.pruning.granularity.NMSelect;
import org.prune4j.pruning.granularity.PerMatrix;
import org.prune4j.pruning.granularity.PerRow;

/**
 * Score-then-mask pruning: the criterion scores every weight, the granularity picks the lowest, they are zeroed.
 * Unstructured targets are thresholded per matrix or per output row; N:M targets in groups of M inputs.
 */
public final class ScoreMaskPruner implements LinearPruner {
    /** Where an unstructured target's comparison group lies. */
    public enum Scope { MATRIX, ROW }

    private final Criterion criterion;
    private final Scope scope;

    public ScoreMaskPruner(Criterion criterion, Scope scope) {
        this.criterion = criterion;
        this.scope = scope;
    }

    @Override public String name() { return criterion.name(); }

    @Override public Statistic needs() { return criterion.needs(); }

    public Scope scope() { return scope; }

    /** The granularity that turns scores into a mask for {@code target} on a weight of {@code cols} inputs. */
    public Granularity granularity(Sparsity target, int cols, String name) {
        return switch (target) {
            case Sparsity.Groups g -> {
                g.requireFits(cols, name);
                yield new NMSelect(g.nm(), g.denseTail());
            }
            case Sparsity.Unstructured u -> scope == Scope.ROW ? new PerRow(u.ratio()) : new PerMatrix(u.ratio());
        };
    }

    @Override
    public List<LinearReport> prune(InputStats x, List<LinearWeight> weights) {
        List<LinearReport> out = new ArrayList<>();
        for (LinearWeight lw : weights) {
            lw.requireFinite();
            Granularity g = granularity(lw.target(), lw.cols(), lw.name());
            float[] scores = criterion.score(lw.w(), lw.rows(), lw.cols(), x);
            g.select(scores, lw.rows(), lw.cols()).apply(lw.w());
            out.add(new LinearReport(lw.name(), lw.rows(), lw.cols(), lw.zeros(), lw.target().label(), 0));
        }
        return out;
    }
}
