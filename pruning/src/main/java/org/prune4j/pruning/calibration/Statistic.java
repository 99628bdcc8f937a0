package org.prune4j.pruning.calibration;

/** What a criterion needs to know about a linear layer's inputs; calibration accumulates only that. */
public enum Statistic {
    /** Nothing: the criterion reads the weights alone (magnitude). No calibration pass is needed. */
    NONE,
    /** Per input feature j, the sum over calibration tokens of x_j^2 (Wanda's ||X_j||^2). */
    COLUMN_NORMS,
    /** The Gram matrix sum over tokens of x x^T, [in, in] (SparseGPT's Hessian H = 2/n X^T X). */
    GRAM;
}
