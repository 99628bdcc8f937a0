package org.prune4j.pruning.verify;

import org.prune4j.tensor.Tensor;

/**
 * The rules on a pruned linear weight alone: its zeros counted, an N:M pattern (at least N zeros in every group of
 * M consecutive inputs of every row, the groups starting at column 0), and a sparsity floor of R * floor(C * S)
 * zeros — what per-row selection prunes, and no more than per-matrix selection does, so the floor holds for both.
 */
final class LinearRules {
    private LinearRules() {}

    /** Checks {@code w} [R, C] and returns its zeros. */
    static long check(String name, Tensor w, org.prune4j.tensor.NM nm, Double sparsity, Violations v) {
        int rows = w.size(0), cols = w.size(1);
        if (nm != null && cols % nm.m() != 0) {
            v.add(name, Rules.NM, nm.label() + " needs M = " + nm.m() + " to divide the input width " + cols);
            nm = null;
        }
        float[] row = new float[cols];
        long zeros = 0;
        for (int r = 0; r < rows; r++) {
            w.select(0, r).copyTo(row, 0);
            for (int c = 0; c < cols; c++) if (row[c] == 0) zeros++;
            if (nm == null) continue;
            for (int g = 0; g < cols; g += nm.m()) {
                int z = 0;
                for (int c = g; c < g + nm.m(); c++) if (row[c] == 0) z++;
                if (z < nm.n())
                    v.add(name, r, g, Rules.NM, nm.label() + ": columns " + g + ".." + (g + nm.m() - 1) + " hold " + z
                            + " zeros, at least " + nm.n() + " required");
            }
        }
        if (sparsity != null) {
            long floor = (long) rows * (long) Math.floor(cols * sparsity);
            if (zeros < floor)
                v.add(name, Rules.SPARSITY, String.format(java.util.Locale.ROOT, "holds %d zeros of %d (%.4f%%), at least %d = %d rows x floor(%d x %s) required",
                        zeros, (long) rows * cols, 100.0 * zeros / ((long) rows * cols), floor, rows, cols, sparsity));
        }
        return zeros;
    }
}
