package org.prune4j.pruning.structured.scop;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.Targets;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;

/**
 * {@code --fdr q --unit neurons|heads|channels}: the structure follows from the data. {@link ScopSelection} keeps,
 * per layer, the units whose W passes the knockoff+ threshold; then
 * <ul>
 *   <li>uniform allocation (default): the widest layer's count becomes the {@code --target} (for GQA heads rounded up
 *       to a multiple of num_key_value_heads, since every KV group keeps the same number of query heads), and the
 *       structured {@link Planner} keeps each layer's top units by W;
 *   <li>{@code --allocation global} (neurons): each layer keeps exactly its selected units (per-layer shapes).
 * </ul>
 */
public final class ScopFdr {
    private ScopFdr() {}

    /** The plan, the per-layer (or single-row) count of noise units, and warnings for layers where all were noise. */
    public record Result(Plan plan, int[] noise, int[] selected, List<String> warnings) {}

    public static UnitKind parseUnit(String s) {
        return switch (s) {
            case "neurons", "neuron" -> UnitKind.NEURON;
            case "heads", "head" -> UnitKind.HEAD;
            case "channels", "channel" -> UnitKind.CHANNEL;
            default -> throw new StructuredException("--unit must be neurons, heads or channels (the units --fdr tests), got '" + s + "'");
        };
    }

    public static Result plan(ModelConfig cfg, String fingerprint, UnitScores w, double q, Planner.Allocation allocation, Planner.Options options) {
        boolean global = allocation == Planner.Allocation.GLOBAL;
        if (global && w.kind() != UnitKind.NEURON)
            throw new StructuredException("--fdr with --allocation global supports --unit neurons only (heads must stay uniform within KV groups, channels are one row)");
        ScopSelection.Plan sel = ScopSelection.fdr(w, q, global);
        int[] selected = new int[w.rows()];
        for (int r = 0; r < selected.length; r++) selected[r] = w.row(r).length - sel.noise()[r];
        Plan plan;
        if (global) {
            Plan uniform = Planner.plan(cfg, fingerprint, Targets.parse(List.of()), Map.of(), "scop", options);
            List<Plan.LayerPlan> layers = new ArrayList<>();
            for (Plan.LayerPlan lp : uniform.layers())
                layers.add(new Plan.LayerPlan(lp.source(), lp.heads(), lp.kv(), sel.kept()[lp.source()]));
            plan = new Plan(uniform.source(), "scop", Map.of(), layers, uniform.channels(), Map.of(UnitKind.NEURON, w));
        } else {
            int width = sel.uniformWidth();
            String key = switch (w.kind()) {
                case NEURON -> Targets.INTERMEDIATE;
                case HEAD -> Targets.HEADS;
                default -> Targets.HIDDEN;
            };
            if (w.kind() == UnitKind.HEAD) {
                int kv = 1;
                for (int l = 0; l < cfg.numLayers(); l++) kv = Math.max(kv, cfg.numKvHeads(l));
                boolean mha = cfg.numHeads(0) == cfg.numKvHeads(0);
                if (!mha) width = Math.min(cfg.numHeads(0), (width + kv - 1) / kv * kv);
            }
            plan = Planner.plan(cfg, fingerprint, Targets.parse(List.of(key + "=" + width)), Map.of(w.kind(), w), "scop", options);
        }
        return new Result(plan, sel.noise(), selected, sel.warnings());
    }
}
