package org.prune4j.pruning.structured;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** The floor every criterion must beat: independent uniform scores per unit, from {@code --seed}. */
public final class RandomUnits implements StructuredCriterion {
    @Override public String name() { return "random"; }

    @Override public Set<UnitKind> kinds() { return EnumSet.complementOf(EnumSet.of(UnitKind.BLOCK)); }

    @Override public boolean needsCalibration() { return false; }

    @Override public Map<UnitKind, UnitScores> score(ScoringInput in, Set<UnitKind> kinds) {
        Map<UnitKind, UnitScores> out = new EnumMap<>(UnitKind.class);
        for (UnitKind kind : kinds) {
            SplittableRandom r = new SplittableRandom(in.seed() * 31 + kind.ordinal()); // one stream per kind: adding a kind changes no other
            double[][] s = UnitCounts.zeros(in.model().config(), kind);
            for (double[] row : s) for (int u = 0; u < row.length; u++) row[u] = r.nextDouble();
            out.put(kind, new UnitScores(kind, name(), s));
        }
        return out;
    }
}
