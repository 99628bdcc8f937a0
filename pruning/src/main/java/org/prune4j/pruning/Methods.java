package org.prune4j.pruning;

import java.util.List;
import org.prune4j.pruning.criterion.Magnitude;
import org.prune4j.pruning.criterion.Wanda;
import org.prune4j.pruning.sparsegpt.SparseGPT;
import org.prune4j.tensor.Kernels;

/** The methods users name on the command line, with the comparison groups their authors use. */
public final class Methods {
    private Methods() {}

    /** The names {@link #create} accepts. */
    public static final List<String> NAMES = List.of("magnitude", "wanda", "sparsegpt");

    /** |W| thresholded per matrix (the Wanda authors' baseline), or per output row. */
    public static LinearPruner magnitude(boolean perRow) {
        return new ScoreMaskPruner(new Magnitude(), perRow ? ScoreMaskPruner.Scope.ROW : ScoreMaskPruner.Scope.MATRIX);
    }

    /** |W| * ||X_j|| compared within each output row. */
    public static LinearPruner wanda() {
        return new ScoreMaskPruner(new Wanda(), ScoreMaskPruner.Scope.ROW);
    }

    /** SparseGPT with the reference's block size 128 and 1% dampening. */
    public static LinearPruner sparseGPT(Kernels kernels, int threads) {
        return new SparseGPTPruner(SparseGPT.DEFAULT_BLOCK, SparseGPT.DEFAULT_DAMP, kernels, threads);
    }

    /** The method called {@code name}; {@code perRow} only affects magnitude. */
    public static LinearPruner create(String name, boolean perRow, Kernels kernels, int threads) {
        return switch (name) {
            case "magnitude" -> magnitude(perRow);
            case "wanda" -> wanda();
            case "sparsegpt" -> sparseGPT(kernels, threads);
            default -> throw new PruningException("unknown pruning method '" + name + "'; use one of " + NAMES);
        };
    }
}
