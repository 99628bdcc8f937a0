package org.prune4j.pruning;

/**
 * What pruning did to one linear layer: its shape, the zeros it now holds, the target it was given, and for
 * SparseGPT the OBS estimate of the reconstruction error it introduced (0 for mask-only criteria).
 */
public record LinearReport(String name, int rows, int cols, long zeros, String target, double loss) {
    public long params() { return (long) rows * cols; }

    /** Zeros / parameters. */
    public double sparsity() { return params() == 0 ? 0 : (double) zeros / params(); }
}
