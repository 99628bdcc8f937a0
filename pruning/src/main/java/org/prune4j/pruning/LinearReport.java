package org.prune4j.pruning;

/**
 * What pruning did to one linear layer: its shape, the zeros it now holds, the target it was given, and for
 * SparseGPT the OBS estimate of the reconstruction error it introduced (0 for mask-only criteria). {@code id} says
 * which weight of the checkpoint it is (null for a matrix pruned on its own, outside a checkpoint).
 */
public record LinearReport(String name, int rows, int cols, long zeros, String target, double loss, WeightId id) {
    /** A report for a matrix pruned on its own; {@link SequentialPruner} adds the {@link WeightId}. */
    public LinearReport(String name, int rows, int cols, long zeros, String target, double loss) {
        this(name, rows, cols, zeros, target, loss, null);
    }

    public long params() { return (long) rows * cols; }

    /** Zeros / parameters. */
    public double sparsity() { return params() == 0 ? 0 : (double) zeros / params(); }

    /** The same report for checkpoint weight {@code id}, holding {@code zeros} zeros. */
    public LinearReport of(WeightId id, long zeros) {
        return new LinearReport(name, rows, cols, zeros, target, loss, id);
    }
}
