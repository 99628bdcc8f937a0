package org.prune4j.pruning.verify;

import java.util.ArrayList;
import java.util.List;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.transformer.Linear;

/**
 * Where each value of a structurally pruned tensor must come from, worked out from the {@link Plan} alone (not from
 * the writer's layout, so a bug in the writer shows): output row r is the mean of parent rows {@code rows[r]},
 * output column c is parent column {@code cols[c]} (null: all columns).
 */
final class PlanMap {
    private PlanMap() {}

    /** Parent tensor, rows and columns of one pruned tensor. */
    record Source(String name, int[][] rows, int[] cols) {}

    /** The source of pruned tensor {@code name} [shape], or null for a name the plan does not account for. */
    static Source of(String name, int[] shape, ModelConfig parent, Plan plan) {
        int d = parent.headDim();
        int[] ch = plan.channels();
        int[] cols = ch.length == parent.hiddenSize() ? null : ch;
        switch (name) {
            case "model.embed_tokens.weight", "lm_head.weight" -> { return new Source(name, Compare.identity(shape[0]), cols); }
            case "model.norm.weight" -> { return new Source(name, each(ch), null); }
            default -> { }
        }
        String prefix = "model.layers.";
        if (!name.startsWith(prefix)) return new Source(name, Compare.identity(shape.length == 0 ? 0 : shape[0]), null);
        int dot = name.indexOf('.', prefix.length());
        int i = Integer.parseInt(name.substring(prefix.length(), dot));
        if (i >= plan.numLayers()) return null;
        Plan.LayerPlan p = plan.layers().get(i);
        String rest = name.substring(dot + 1), from = prefix + p.source() + "." + rest;
        if (rest.equals("input_layernorm.weight") || rest.equals("post_attention_layernorm.weight")) return new Source(from, each(ch), null);
        for (Linear l : Linear.values()) {
            boolean w = rest.equals(l.suffix() + ".weight"), b = rest.equals(l.suffix() + ".bias");
            if (!w && !b) continue;
            int[][] rows = switch (l) {
                case Q -> each(blocks(p.heads(), d));
                case K, V -> pooled(p.kv(), d);
                case O, DOWN -> each(ch);
                case GATE, UP -> each(p.neurons());
            };
            int[] c = switch (l) {
                case O -> blocks(p.heads(), d);
                case DOWN -> p.neurons();
                default -> cols;
            };
            return new Source(from, rows, b ? null : c);
        }
        return new Source(from, Compare.identity(shape.length == 0 ? 0 : shape[0]), null);
    }

    /** The parent layers the plan drops. */
    static List<Integer> removedLayers(Plan plan) {
        List<Integer> r = new ArrayList<>();
        boolean[] kept = new boolean[plan.source().numLayers()];
        for (Plan.LayerPlan p : plan.layers()) kept[p.source()] = true;
        for (int l = 0; l < kept.length; l++) if (!kept[l]) r.add(l);
        return r;
    }

    /** The parent indices in 0..n-1 missing from the ascending {@code kept}. */
    static int[] removed(int[] kept, int n) {
        boolean[] k = new boolean[n];
        for (int i : kept) k[i] = true;
        int[] r = new int[n - kept.length];
        int j = 0;
        for (int i = 0; i < n; i++) if (!k[i]) r[j++] = i;
        return r;
    }

    private static int[][] each(int[] idx) {
        int[][] r = new int[idx.length][];
        for (int i = 0; i < idx.length; i++) r[i] = new int[] {idx[i]};
        return r;
    }

    /** Rows h*D .. h*D+D-1 of every head h. */
    private static int[] blocks(int[] heads, int d) {
        int[] r = new int[heads.length * d];
        for (int i = 0; i < heads.length; i++) for (int t = 0; t < d; t++) r[i * d + t] = heads[i] * d + t;
        return r;
    }

    /** Output KV head j, row t: the parent rows s*D + t of every parent KV head s in kv[j]. */
    private static int[][] pooled(int[][] kv, int d) {
        int[][] r = new int[kv.length * d][];
        for (int j = 0; j < kv.length; j++)
            for (int t = 0; t < d; t++) {
                r[j * d + t] = new int[kv[j].length];
                for (int s = 0; s < kv[j].length; s++) r[j * d + t][s] = kv[j][s] * d + t;
            }
        return r;
    }
}
