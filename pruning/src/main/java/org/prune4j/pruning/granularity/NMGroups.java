package org.prune4j.pruning.granularity;

/**
 * N:M semi-structured sparsity: in every row, within each group of M consecutive input columns, the N
 * lowest-scoring weights are pruned (ties toward the lower index). 2:4 is what sparse tensor cores execute.
 */
public record NMGroups(int n, int m) implements Granularity {
    public NMGroups {
        if (m < 2 || m > 64 || n < 1 || n >= m)
            throw new IllegalArgumentException("N:M needs 1 <= N < M <= 64, got " + n + ":" + m);
    }

    @Override public String describe() { return n + ":" + m; }

    @Override
    public Mask select(float[] scores, int rows, int cols) {
        if (scores.length != (long) rows * cols) throw new IllegalArgumentException("scores of " + scores.length + " values for a [" + rows + ", " + cols + "] matrix");
        if (cols % m != 0) throw new IllegalArgumentException("N:M " + n + ":" + m + " needs M to divide the input width " + cols);
        Mask mask = new Mask(rows, cols);
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < cols; g += m) markGroup(scores, r * cols + g, mask, (long) r * cols + g);
        return mask;
    }

    /** Marks the N lowest of the M scores starting at {@code s[off]} into {@code mask} at {@code maskBase}. */
    public void markGroup(float[] s, int off, Mask mask, long maskBase) {
        Select.markLowestSmall(s, off, m, n, mask, maskBase);
    }
}
