package org.prune4j.pruning.granularity;

/**
 * Turns a criterion's scores into what is removed. Independent of the criterion: magnitude, Wanda or any later
 * score (Taylor, activation) can be thresholded per matrix, per row or in N:M groups. Structured granularities
 * (heads, neurons, channels, layers) produce removal plans in later slices.
 */
public interface Granularity {

    /** A short description for reports ("per-row 50%", "2:4"). */
    String describe();

    /**
     * The weights to prune, given {@code scores} [rows, cols] row-major (higher = more important; finite or
     * infinite, never NaN). Deterministic: ties break toward the lower index.
     */
    Mask select(float[] scores, int rows, int cols);
}
