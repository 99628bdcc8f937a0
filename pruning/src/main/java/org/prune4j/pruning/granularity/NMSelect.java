package org.prune4j.pruning.granularity;

import org.prune4j.tensor.NM;

/**
 * N:M semi-structured selection: in every row, within each group of M consecutive input columns, the N
 * lowest-scoring weights are pruned (ties toward the lower index). 2:4 is what sparse tensor cores execute, and what
 * prune4j's N:M kernels run compressed. With {@code denseTail}, a short last group (M not dividing the width) is kept
 * whole; without it such a width is refused by {@link NM#requireDivides}.
 */
public record NMSelect(NM nm, boolean denseTail) implements Granularity {
    public NMSelect {
        if (nm == null) throw new IllegalArgumentException("N:M selection needs its pattern");
    }

    @Override public String describe() { return nm.label() + (denseTail ? " (dense tail)" : ""); }

    @Override
    public Mask select(float[] scores, int rows, int cols) {
        if (scores.length != (long) rows * cols) throw new IllegalArgumentException("scores of " + scores.length + " values for a [" + rows + ", " + cols + "] matrix");
        if (!denseTail) nm.requireDivides(cols, "scores [" + rows + ", " + cols + "]");
        int m = nm.m(), full = cols - nm.tail(cols);
        Mask mask = new Mask(rows, cols);
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < full; g += m) markGroup(nm, scores, r * cols + g, mask, (long) r * cols + g);
        return mask;
    }

    /** Marks the N lowest of the M scores starting at {@code s[off]} into {@code mask} at {@code maskBase}. */
    public static void markGroup(NM nm, float[] s, int off, Mask mask, long maskBase) {
        Select.markLowestSmall(s, off, nm.m(), nm.n(), mask, maskBase);
    }
}
