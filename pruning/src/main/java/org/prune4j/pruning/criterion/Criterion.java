package org.prune4j.pruning.criterion;

import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;

/**
 * Turns observations of one linear layer (its weights, statistics of its inputs; gradients in later slices)
 * into an importance score per weight: higher means keep. What is then removed is the granularity's business.
 */
public interface Criterion {

    /** The name users type ({@code magnitude}, {@code wanda}). */
    String name();

    /** Which input statistics the criterion reads; calibration collects only those. */
    Statistic needs();

    /**
     * Scores [rows, cols] row-major for the weights {@code w} [rows, cols] (out, in: Hugging Face layout).
     * {@code x} describes the layer's inputs; it may be null when {@link #needs()} is NONE.
     */
    float[] score(float[] w, int rows, int cols, InputStats x);
}
