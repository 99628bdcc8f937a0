package org.prune4j.pruning.granularity;

/**
 * Which entries of a [rows, cols] weight matrix are pruned: one bit per weight (a 11008 x 4096 matrix needs
 * 5.6 MB, not 45 MB of booleans). Set bits are the weights that become zero.
 */
public final class Mask {
    private final int rows, cols;
    private final long[] bits;

    /** An empty mask (nothing pruned) for a [rows, cols] matrix. */
    public Mask(int rows, int cols) {
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("mask shape [" + rows + ", " + cols + "] is negative");
        this.rows = rows;
        this.cols = cols;
        this.bits = new long[(int) (((long) rows * cols + 63) >>> 6)];
    }

    public int rows() { return rows; }
    public int cols() { return cols; }

    /** True when weight (r, c) is pruned. */
    public boolean get(int r, int c) {
        return get((long) r * cols + c);
    }

    /** True when the weight at row-major position {@code i} is pruned. */
    public boolean get(long i) {
        return (bits[(int) (i >>> 6)] & (1L << i)) != 0;
    }

    /** Marks weight (r, c) as pruned. */
    public void set(int r, int c) {
        set((long) r * cols + c);
    }

    /** Marks the weight at row-major position {@code i} as pruned. */
    public void set(long i) {
        bits[(int) (i >>> 6)] |= 1L << i;
    }

    /** Unmarks every weight (reuse as scratch). */
    public void clear() {
        java.util.Arrays.fill(bits, 0L);
    }

    /** Number of pruned weights. */
    public long count() {
        long n = 0;
        for (long b : bits) n += Long.bitCount(b);
        return n;
    }

    /** Number of pruned weights in row {@code r}. */
    public int countRow(int r) {
        int n = 0;
        long base = (long) r * cols;
        for (int c = 0; c < cols; c++) if (get(base + c)) n++;
        return n;
    }

    /** Adds every pruned weight of {@code other} (same shape) to this mask. */
    public void or(Mask other) {
        if (other.rows != rows || other.cols != cols)
            throw new IllegalArgumentException("mask [" + other.rows + ", " + other.cols + "] does not match [" + rows + ", " + cols + "]");
        for (int i = 0; i < bits.length; i++) bits[i] |= other.bits[i];
    }

    /** Zeroes the pruned entries of the row-major [rows, cols] weights {@code w}. */
    public void apply(float[] w) {
        if (w.length != (long) rows * cols)
            throw new IllegalArgumentException("weights of " + w.length + " values do not match mask [" + rows + ", " + cols + "]");
        for (int wi = 0; wi < bits.length; wi++) {
            long b = bits[wi];
            while (b != 0) {
                int bit = Long.numberOfTrailingZeros(b);
                w[(wi << 6) + bit] = 0f;
                b &= b - 1;
            }
        }
    }

    /** The mask of the exact zeros of {@code w} [rows, cols]: weights an earlier pruning already removed. */
    public static Mask zerosOf(float[] w, int rows, int cols) {
        Mask m = new Mask(rows, cols);
        for (int i = 0; i < w.length; i++) if (w[i] == 0f) m.set(i);
        return m;
    }
}
