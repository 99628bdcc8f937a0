package org.prune4j.pruning;

import java.util.List;
import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;

/**
 * Prunes the linear layers that read one input (q/k/v share the attention input, gate/up the MLP input), in
 * place, from statistics of that input. Implemented by a criterion + granularity pair ({@link ScoreMaskPruner})
 * or by a reconstructing solver ({@link SparseGPTPruner}).
 */
public interface LinearPruner {

    /** The method's name in reports ("magnitude", "wanda", "sparsegpt"). */
    String name();

    /** The input statistics to collect during calibration. */
    Statistic needs();

    /** Prunes every weight in place; {@code x} is null when {@link #needs()} is NONE. */
    List<LinearReport> prune(InputStats x, List<LinearWeight> weights);
}
