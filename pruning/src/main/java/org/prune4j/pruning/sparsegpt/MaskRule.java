package org.prune4j.pruning.sparsegpt;

import org.prune4j.pruning.granularity.Granularity;
import org.prune4j.pruning.granularity.Mask;
import org.prune4j.tensor.NM;

/**
 * How the SparseGPT solver decides which weights it zeroes while it reconstructs the rest. Weights that are
 * already exactly zero are always kept pruned (they are chosen first, and stay zero), whatever the rule.
 */
public sealed interface MaskRule {

    /**
     * Frantar & Alistarh's adaptive mask selection: at the start of each column block, score the block's current
     * weights by w^2 / [H^-1]_ii^2 (the OBS error of removing each one) and let {@code perBlock} pick the mask
     * ({@code PerMatrix(s)}: one threshold over the whole [rows, block] tile, as the reference code does).
     */
    record Adaptive(Granularity perBlock) implements MaskRule {}

    /**
     * N:M: at the first column of every group of M, in each row, prune the N of its M current weights with the
     * lowest w^2 / [H^-1]_ii^2 (ties toward the lower index). Groups align with input columns 0, M, 2M, ...; with
     * {@code denseTail} a short last group is kept whole (only reconstructed).
     */
    record Groups(NM nm, boolean denseTail) implements MaskRule {
        public Groups {
            if (nm == null) throw new IllegalArgumentException("an N:M rule needs its pattern");
        }
    }

    /** A mask chosen elsewhere (magnitude, Wanda): SparseGPT only reconstructs the remaining weights. */
    record Fixed(Mask mask) implements MaskRule {}
}
