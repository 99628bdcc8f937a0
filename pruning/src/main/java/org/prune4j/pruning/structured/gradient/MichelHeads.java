package org.prune4j.pruning.structured.gradient;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.prune4j.pruning.structured.Progress;
import org.prune4j.pruning.structured.ScoringInput;
import org.prune4j.pruning.structured.StructuredCriterion;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;

/**
 * {@code --method michel}: head-mask gradient importance (Michel et al. 2019, {@link Michel}), heads only. Options:
 * {@code iterative=STEPS} re-scores between removal steps and then needs {@code keep-heads=N} (the
 * num_attention_heads target: query heads kept per layer).
 */
public final class MichelHeads implements StructuredCriterion {
    @Override public String name() { return "michel"; }

    @Override public Set<UnitKind> kinds() { return EnumSet.of(UnitKind.HEAD); }

    @Override public boolean needsCalibration() { return true; }

    @Override public Map<UnitKind, UnitScores> score(ScoringInput in, Set<UnitKind> kinds) {
        for (UnitKind k : kinds)
            if (k != UnitKind.HEAD) throw new StructuredException("michel scores attention heads only, not " + k + " (head-mask gradients)");
        in.batches();
        Progress p = in.log() == null ? Progress.NONE : Progress.lines(in.log());
        Michel.Result r;
        String steps = in.option("iterative", null);
        if (steps == null) {
            r = Michel.score(in.model(), in.windows(), in.batch(), p);
        } else {
            String keep = in.option("keep-heads", null);
            if (keep == null) throw new StructuredException("michel --iterative needs the target num_attention_heads (heads to keep per layer)");
            int[] k = new int[in.model().numLayers()];
            java.util.Arrays.fill(k, parse(keep, "num_attention_heads"));
            r = Michel.iterative(in.model(), in.windows(), in.batch(), parse(steps, "--iterative"), k, p);
        }
        Map<UnitKind, UnitScores> out = new EnumMap<>(UnitKind.class);
        if (kinds.contains(UnitKind.HEAD)) out.put(UnitKind.HEAD, r.scores());
        return out;
    }

    private static int parse(String s, String what) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new StructuredException(what + " must be an integer, got '" + s + "'");
        }
    }
}
