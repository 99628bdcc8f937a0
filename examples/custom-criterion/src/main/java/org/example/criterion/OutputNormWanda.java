package org.example.criterion;

import java.util.List;
import org.prune4j.pruning.LinearPruner;
import org.prune4j.pruning.LinearReport;
import org.prune4j.pruning.LinearWeight;
import org.prune4j.pruning.ScoreMaskPruner;
import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;
import org.prune4j.pruning.criterion.Criterion;

/**
 * Wanda with rows weighted by their output norm: S_ij = |W_ij| * ||X_j||_2 * ||W_i,:||_2, compared over the whole
 * matrix, so output rows with more weight mass keep more of their weights (Wanda alone compares within each row,
 * where a per-row factor would change nothing). Runs as {@code --method org.example.criterion.OutputNormWanda}.
 */
public final class OutputNormWanda implements LinearPruner {
    /** The scores; the per-matrix comparison is ScoreMaskPruner's MATRIX scope. */
    static final class Scores implements Criterion {
        @Override public String name() { return "output-norm-wanda"; }
        @Override public Statistic needs() { return Statistic.COLUMN_NORMS; }

        @Override public float[] score(float[] w, int rows, int cols, InputStats x) {
            double[] sumSq = x.sumSq();
            float[] s = new float[w.length];
            for (int i = 0; i < rows; i++) {
                double row = 0;
                for (int j = 0; j < cols; j++) row += (double) w[i * cols + j] * w[i * cols + j];
                double rowNorm = Math.sqrt(row);
                for (int j = 0; j < cols; j++) s[i * cols + j] = (float) (Math.abs(w[i * cols + j]) * Math.sqrt(sumSq[j]) * rowNorm);
            }
            return s;
        }
    }

    private final LinearPruner pruner = new ScoreMaskPruner(new Scores(), ScoreMaskPruner.Scope.MATRIX);

    @Override public String name() { return "output-norm-wanda"; }
    @Override public Statistic needs() { return pruner.needs(); }
    @Override public List<LinearReport> prune(InputStats x, List<LinearWeight> weights) { return pruner.prune(x, weights); }
}
