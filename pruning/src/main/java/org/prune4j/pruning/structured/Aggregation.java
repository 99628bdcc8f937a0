package org.prune4j.pruning.structured;

import java.util.Locale;

/**
 * How per-token (or per-window) importances are reduced, Minitron's ablation axis: {@code mean}, {@code l2} (the
 * Euclidean norm) or {@code var} (population variance). The default is mean over the sequence, then L2 over the
 * calibration windows ("mean over t, L2 over b").
 */
public enum Aggregation {
    MEAN, L2, VAR;

    /** Reduces {@code v[0..n)} (double sums). */
    public double reduce(double[] v, int n) {
        if (n == 0) return 0;
        return switch (this) {
            case MEAN -> {
                double s = 0;
                for (int i = 0; i < n; i++) s += v[i];
                yield s / n;
            }
            case L2 -> {
                double s = 0;
                for (int i = 0; i < n; i++) s += v[i] * v[i];
                yield Math.sqrt(s);
            }
            case VAR -> {
                double m = 0;
                for (int i = 0; i < n; i++) m += v[i];
                m /= n;
                double s = 0;
                for (int i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
                yield s / n;
            }
        };
    }

    /** "mean", "l2" or "var"; anything else is an error naming {@code option}. */
    public static Aggregation parse(String s, String option) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "mean" -> MEAN;
            case "l2" -> L2;
            case "var" -> VAR;
            default -> throw new StructuredException(option + " must be mean, l2 or var, got '" + s + "'");
        };
    }
}
