package org.prune4j.pruning.granularity;

/**
 * Unstructured pruning compared within each output row: the {@code floor(ratio * cols)} lowest scores of every
 * row go (Wanda's comparison group: every output neuron keeps the same number of inputs).
 */
public record PerRow(double ratio) implements Granularity {
    public PerRow {
        if (!(ratio >= 0 && ratio <= 1)) throw new IllegalArgumentException("ratio must lie in [0, 1], got " + ratio);
    }

    @Override public String describe() { return "per-row " + ratio; }

    /** How many weights of a row of {@code cols} this ratio prunes. */
    public int count(int cols) {
        return (int) (ratio * cols);
    }

    @Override
    public Mask select(float[] scores, int rows, int cols) {
        if (scores.length != (long) rows * cols) throw new IllegalArgumentException("scores of " + scores.length + " values for a [" + rows + ", " + cols + "] matrix");
        Mask m = new Mask(rows, cols);
        int k = count(cols);
        for (int r = 0; r < rows; r++) Select.markLowest(scores, r * cols, cols, k, m, (long) r * cols);
        return m;
    }
}
