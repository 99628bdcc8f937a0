package org.prune4j.pruning.structured.gradient;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.prune4j.pruning.structured.Progress;
import org.prune4j.pruning.structured.ScoringInput;
import org.prune4j.pruning.structured.StructuredCriterion;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;

/**
 * {@code --method taylor}: LLM-Pruner's Taylor importance ({@link Taylor}) of every unit kind, from one gradient pass
 * over the calibration windows. Options: {@code taylor=first|vectorize|second|mix} (default first) and
 * {@code group-agg=sum|mean|max|prod|first} (default sum).
 */
public final class TaylorUnits implements StructuredCriterion {
    @Override public String name() { return "taylor"; }

    @Override public Set<UnitKind> kinds() { return EnumSet.of(UnitKind.HEAD, UnitKind.KV_GROUP, UnitKind.NEURON, UnitKind.CHANNEL, UnitKind.LAYER); }

    @Override public boolean needsCalibration() { return true; }

    @Override public Map<UnitKind, UnitScores> score(ScoringInput in, Set<UnitKind> kinds) {
        Taylor.Settings s = settings(in);
        in.batches(); // fails clearly without calibration data
        Progress p = in.log() == null ? Progress.NONE : Progress.lines(in.log());
        CalibrationGradients g = CalibrationGradients.compute(in.model(), in.windows(), in.batch(), s.variant().needsFisher(), p);
        long t0 = System.nanoTime();
        Map<UnitKind, UnitScores> out = Taylor.scores(in.model(), g, s, kinds);
        if (in.log() != null)
            in.log().printf("taylor %s: mean loss %.4f over %,d tokens; unit scores in %.2f s%n", s.describe(), g.meanLoss(), g.tokens(), (System.nanoTime() - t0) / 1e9);
        return out;
    }

    /** The variant and aggregation named by the options {@code taylor} and {@code group-agg}. */
    public static Taylor.Settings settings(ScoringInput in) {
        return new Taylor.Settings(Taylor.Variant.parse(in.option("taylor", "first")), Taylor.GroupAgg.parse(in.option("group-agg", "sum")));
    }
}
