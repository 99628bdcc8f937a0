package org.prune4j.pruning.structured;

/**
 * Per-unit importances reduced the Minitron way: a per-token value v_{b,t,u} is reduced over the positions t of
 * window b ({@code --agg-seq}: mean, L2 or variance, from Σv and Σv²), then over the windows b
 * ({@code --agg-batch}). Holds Σv and Σv² per (window, unit), nothing per token.
 */
final class SeqBatchStats {
    private final String what;
    private final int units;
    private final double[][] s1, s2; // [window][unit]
    private final int[] count;

    SeqBatchStats(String what, int windows, int units) {
        this.what = what;
        this.units = units;
        s1 = new double[windows][units];
        s2 = new double[windows][units];
        count = new int[windows];
    }

    /** Adds v_{b,t,u} for one token t of window b. */
    void add(int b, int u, double v) {
        if (!Double.isFinite(v)) throw new StructuredException("non-finite activation (" + v + ") in " + what + " at calibration window " + b + ", unit " + u);
        s1[b][u] += v;
        s2[b][u] += v * v;
    }

    /** Counts one token of window b (after its units were added). */
    void token(int b) { count[b]++; }

    /** agg_batch over windows of agg_seq over tokens, per unit. */
    double[] reduce(Aggregation seq, Aggregation batch) {
        int nb = s1.length;
        double[] out = new double[units], perWindow = new double[nb];
        for (int u = 0; u < units; u++) {
            for (int b = 0; b < nb; b++) {
                int t = count[b];
                double mean = s1[b][u] / t;
                perWindow[b] = switch (seq) {
                    case MEAN -> mean;
                    case L2 -> Math.sqrt(s2[b][u]);
                    case VAR -> Math.max(0, s2[b][u] / t - mean * mean);
                };
            }
            out[u] = batch.reduce(perWindow, nb);
        }
        return out;
    }
}
