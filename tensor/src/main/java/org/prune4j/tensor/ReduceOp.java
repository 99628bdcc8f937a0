package org.prune4j.tensor;

/** Reductions over one dim. */
public enum ReduceOp { SUM, MEAN, MAX, MIN }
