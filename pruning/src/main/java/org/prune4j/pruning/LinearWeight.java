package org.prune4j.pruning;

/**
 * One weight matrix to prune: its Hugging Face name, a row-major [rows, cols] (out, in) F32 copy that pruning
 * modifies in place, and the sparsity it must reach.
 */
public record LinearWeight(String name, float[] w, int rows, int cols, Sparsity target) {
    public LinearWeight {
        if (w.length != (long) rows * cols)
            throw new IllegalArgumentException(name + ": " + w.length + " values are not [" + rows + ", " + cols + "]");
    }

    /** Refuses NaN/Inf weights: no criterion can rank them and no solver can compensate them. */
    public void requireFinite() {
        for (int i = 0; i < w.length; i++)
            if (!Float.isFinite(w[i]))
                throw new PruningException(name + " holds " + w[i] + " at [" + i / cols + ", " + i % cols + "]; the checkpoint is damaged");
    }

    /** Exact zeros now in the weights. */
    public long zeros() {
        long z = 0;
        for (float v : w) if (v == 0f) z++;
        return z;
    }
}
