package org.prune4j.pruning.criterion;

import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;

/** S_ij = |W_ij|: the classic baseline (Han et al. 2015), needs no data. */
public final class Magnitude implements Criterion {
    @Override public String name() { return "magnitude"; }

    @Override public Statistic needs() { return Statistic.NONE; }

    @Override
    public float[] score(float[] w, int rows, int cols, InputStats x) {
        float[] s = new float[w.length];
        for (int i = 0; i < w.length; i++) s[i] = Math.abs(w[i]);
        return s;
    }
}
