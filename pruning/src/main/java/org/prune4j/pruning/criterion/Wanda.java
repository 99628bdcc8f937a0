package org.prune4j.pruning.criterion;

import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;

/**
 * Wanda (Sun et al. 2023): S_ij = |W_ij| * ||X_j||_2, the weight's magnitude times the L2 norm of its input
 * feature over all calibration tokens. Scores are meant to be compared within each output row.
 */
public final class Wanda implements Criterion {
    @Override public String name() { return "wanda"; }

    @Override public Statistic needs() { return Statistic.COLUMN_NORMS; }

    @Override
    public float[] score(float[] w, int rows, int cols, InputStats x) {
        if (x == null || x.tokens() == 0) throw new PruningException("wanda needs calibration inputs for a [" + rows + ", " + cols + "] weight");
        if (x.width() != cols) throw new PruningException(x.where() + ": inputs have " + x.width() + " features but the weight has " + cols + " columns");
        double[] sumSq = x.sumSq();
        float[] norm = new float[cols]; // ||X_j||_2
        for (int j = 0; j < cols; j++) norm[j] = (float) Math.sqrt(sumSq[j]);
        float[] s = new float[w.length];
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            for (int j = 0; j < cols; j++) s[o + j] = Math.abs(w[o + j]) * norm[j];
        }
        return s;
    }
}
