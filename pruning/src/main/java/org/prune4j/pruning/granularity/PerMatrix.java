package org.prune4j.pruning.granularity;

/**
 * Unstructured pruning with one threshold for the whole matrix: the {@code floor(ratio * rows * cols)} lowest
 * scores go (the Wanda authors' magnitude baseline; SparseGPT's per-block selection).
 */
public record PerMatrix(double ratio) implements Granularity {
    public PerMatrix {
        if (!(ratio >= 0 && ratio <= 1)) throw new IllegalArgumentException("ratio must lie in [0, 1], got " + ratio);
    }

    @Override public String describe() { return "per-matrix " + ratio; }

    /** How many of {@code n} weights this ratio prunes. */
    public long count(long n) {
        return (long) (ratio * n);
    }

    @Override
    public Mask select(float[] scores, int rows, int cols) {
        long n = (long) rows * cols;
        if (scores.length != n) throw new IllegalArgumentException("scores of " + scores.length + " values for a [" + rows + ", " + cols + "] matrix");
        Mask m = new Mask(rows, cols);
        Select.markLowest(scores, 0, (int) n, (int) count(n), m, 0);
        return m;
    }
}
