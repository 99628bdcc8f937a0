package org.prune4j.pruning.structured.scop;

import java.io.PrintStream;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.structured.ScoringInput;
import org.prune4j.pruning.structured.StructuredCriterion;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;

/**
 * {@code --method scop}: {@link Scop}'s knockoff importance of neurons, heads and channels, through the structured
 * score → plan → write driver. Options ({@code --criterion-option KEY=VALUE}): {@code scop-loss=lm|kd} (default kd),
 * {@code scop-statistic=swap|gate} (default swap), {@code scop-steps=N} (default 64), {@code scop-lr=R} (gate only,
 * default 0.01); gate batches are the driver's {@code --batch} windows and the knockoffs' seed is {@code --seed}.
 * The defaults are the variant that ranked best on stories260K (README, SCOP).
 */
public final class ScopCriterion implements StructuredCriterion {
    @Override public String name() { return "scop"; }

    @Override public Set<UnitKind> kinds() { return EnumSet.of(UnitKind.NEURON, UnitKind.HEAD, UnitKind.CHANNEL); }

    @Override public boolean needsCalibration() { return true; }

    /** The configuration the options ask for (for {@code kind}). */
    public static ScopConfig config(ScoringInput in, UnitKind kind) {
        try {
            return new ScopConfig(kind, ScopConfig.Loss.parse(in.option("scop-loss", "kd")),
                    ScopConfig.Statistic.parse(in.option("scop-statistic", "swap")),
                    Integer.parseInt(in.option("scop-steps", String.valueOf(ScopConfig.DEFAULT_STEPS))),
                    Double.parseDouble(in.option("scop-lr", String.valueOf(ScopConfig.DEFAULT_LR))), in.batch(), in.seed());
        } catch (NumberFormatException e) {
            throw new StructuredException("scop-steps must be an integer and scop-lr a number: " + e.getMessage());
        } catch (PruningException e) {
            throw new StructuredException(e.getMessage());
        }
    }

    @Override public Map<UnitKind, UnitScores> score(ScoringInput in, Set<UnitKind> kinds) {
        in.batches(); // fails clearly without calibration data
        PrintStream log = in.log();
        Map<UnitKind, UnitScores> out = new EnumMap<>(UnitKind.class);
        for (UnitKind kind : kinds) {
            Scop.Result r = Scop.score(in.model(), in.windows(), config(in, kind), s -> { if (log != null) log.println(s); });
            out.put(kind, r.scores());
        }
        return out;
    }
}
