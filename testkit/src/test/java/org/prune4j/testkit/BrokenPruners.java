package org.prune4j.testkit;

import java.util.ArrayList;
import java.util.List;
import org.prune4j.pruning.LinearPruner;
import org.prune4j.pruning.LinearReport;
import org.prune4j.pruning.LinearWeight;
import org.prune4j.pruning.Methods;
import org.prune4j.pruning.Sparsity;
import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;

/** Deliberately broken pruners, each with the one bug an invariant exists to catch. */
final class BrokenPruners {
    private BrokenPruners() {}

    /** Runs real magnitude-per-row pruning, then applies {@code bug} to each weight. */
    abstract static class Patched implements LinearPruner {
        final LinearPruner base;

        Patched(LinearPruner base) { this.base = base; }

        @Override public String name() { return "broken"; }
        @Override public Statistic needs() { return base.needs(); }

        @Override public List<LinearReport> prune(InputStats x, List<LinearWeight> weights) {
            List<float[]> before = new ArrayList<>();
            for (LinearWeight w : weights) before.add(w.w().clone());
            List<LinearReport> r = base.prune(x, weights);
            for (int i = 0; i < weights.size(); i++) bug(weights.get(i), before.get(i));
            return r;
        }

        abstract void bug(LinearWeight w, float[] before);
    }

    /** N:M done as per-row unstructured at N/M: the right count per row, in the wrong places. */
    static LinearPruner nmAsUnstructured() {
        LinearPruner row = Methods.magnitude(true);
        return new LinearPruner() {
            @Override public String name() { return "nm-as-unstructured"; }
            @Override public Statistic needs() { return Statistic.NONE; }
            @Override public List<LinearReport> prune(InputStats x, List<LinearWeight> ws) {
                List<LinearWeight> as = new ArrayList<>();
                for (LinearWeight w : ws) as.add(new LinearWeight(w.name(), w.w(), w.rows(), w.cols(),
                        w.target() instanceof Sparsity.Groups g ? new Sparsity.Unstructured(g.ratio()) : w.target()));
                return row.prune(x, as);
            }
        };
    }

    /** Restores the last pruned weight of every row: one zero short. */
    static LinearPruner oneShortPerRow() {
        return new Patched(Methods.magnitude(true)) {
            @Override void bug(LinearWeight w, float[] before) {
                for (int r = 0; r < w.rows(); r++)
                    for (int c = w.cols() - 1; c >= 0; c--) {
                        int i = r * w.cols() + c;
                        if (w.w()[i] == 0 && before[i] != 0) { w.w()[i] = before[i]; break; }
                    }
            }
        };
    }

    /** Always prunes the smallest weight, even at sparsity 0. */
    static LinearPruner prunesAtZero() {
        return new Patched(Methods.magnitude(false)) {
            @Override void bug(LinearWeight w, float[] before) {
                int min = 0;
                for (int i = 1; i < w.w().length; i++) if (Math.abs(w.w()[i]) < Math.abs(w.w()[min]) || w.w()[min] == 0 && w.w()[i] != 0) min = i;
                w.w()[min] = 0;
            }
        };
    }

    /** Breaks a "tie" with state that survives between calls: every call also prunes a different weight. */
    static LinearPruner stateful() {
        return new Patched(Methods.wanda()) {
            int calls;

            @Override void bug(LinearWeight w, float[] before) {
                w.w()[calls++ % w.w().length] = 0;
            }
        };
    }

    /** A "reconstruction" that nudges every weight it did not prune, zeros included. */
    static LinearPruner revivesZeros() {
        return new Patched(Methods.magnitude(true)) {
            @Override void bug(LinearWeight w, float[] before) {
                for (int i = 0; i < w.w().length; i++) if (w.w()[i] != 0 || before[i] == 0) w.w()[i] += 1e-3f;
            }
        };
    }

    /** Rescales the survivors by 1% (what a reconstruction does, claimed as a plain criterion). */
    static LinearPruner rescalesSurvivors() {
        return new Patched(Methods.wanda()) {
            @Override void bug(LinearWeight w, float[] before) {
                for (int i = 0; i < w.w().length; i++) w.w()[i] *= 1.01f;
            }
        };
    }

    /** Scores by position: prunes the first floor(cols * s) columns of each row, whatever the values. */
    static LinearPruner byColumnIndex() {
        return new LinearPruner() {
            @Override public String name() { return "by-column-index"; }
            @Override public Statistic needs() { return Statistic.NONE; }
            @Override public List<LinearReport> prune(InputStats x, List<LinearWeight> ws) {
                for (LinearWeight w : ws) {
                    int k = (int) Math.floor(w.cols() * w.target().ratio());
                    for (int r = 0; r < w.rows(); r++) for (int c = 0; c < k; c++) w.w()[r * w.cols() + c] = 0;
                }
                return List.of();
            }
        };
    }

    /** Prunes even rows at the target and leaves odd rows dense (a row-index bug). */
    static LinearPruner evenRowsOnly() {
        return new Patched(Methods.magnitude(true)) {
            @Override void bug(LinearWeight w, float[] before) {
                for (int r = 1; r < w.rows(); r += 2) System.arraycopy(before, r * w.cols(), w.w(), r * w.cols(), w.cols());
            }
        };
    }
}
