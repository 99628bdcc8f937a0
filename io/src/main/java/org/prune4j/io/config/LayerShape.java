package org.prune4j.io.config;

/**
 * The shapes of one decoder layer that structured pruning changes: query heads, key/value heads and MLP width.
 * A config holds one per layer, so layers may differ.
 */
public record LayerShape(int numHeads, int numKvHeads, int intermediateSize) {}
