package org.prune4j.pruning.structured;

import java.util.Map;
import java.util.Set;

/**
 * A structured importance criterion (Minitron's activations, LLM-Pruner's Taylor, Michel's head-mask gradients,
 * magnitude, random): the dense model and calibration windows in, one {@link UnitScores} per requested unit kind
 * out. Orthogonal to the unit and to the plan: the planner decides what to keep from the scores alone.
 */
public interface StructuredCriterion {
    /** The {@code --method} name. */
    String name();

    /** The unit kinds this criterion can score. */
    Set<UnitKind> kinds();

    /** True when it reads calibration data (false: magnitude, random). */
    boolean needsCalibration();

    /**
     * True when it can score {@code kinds} with these criterion options from a {@link LayerStream} (one decoder layer
     * at a time, for models larger than the heap) and gives the same scores as in memory.
     */
    default boolean streams(Set<UnitKind> kinds, Map<String, String> options) { return false; }

    /**
     * Scores every unit of each kind in {@code kinds} (a subset of {@link #kinds()}) on the dense model; larger is
     * more important. Non-finite activations or gradients must fail with a {@link StructuredException}.
     */
    Map<UnitKind, UnitScores> score(ScoringInput in, Set<UnitKind> kinds);
}
