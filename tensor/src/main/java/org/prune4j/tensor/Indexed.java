package org.prune4j.tensor;

/**
 * Values with the integer indices they came from (top-k, sort, argmax). Indices are kept as ints, not
 * floats, because positions above 2^24 (sorting every weight of a matrix) are not exact in F32;
 * {@code indices[i]} belongs to the i-th value of {@code values} in row-major order.
 */
public record Indexed(Tensor values, int[] indices) {}
