package org.prune4j.pruning.structured.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.prune4j.io.config.ConfigException;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.Targets;
import org.prune4j.transformer.LlamaModel;

/**
 * Minitron's candidate architectures for a parameter budget: uniform sizes of hidden_size, intermediate_size,
 * num_attention_heads (multiples of the KV heads, which stay; under MHA a head keeps its K/V head) and num_hidden_layers on a rounding grid, each axis
 * at most {@code maxWidth} / {@code maxDepth} below the original, kept when within ±tolerance of the budget. Counts
 * come from the pruned config ({@link LlamaModel#expectedShapes}), so they equal what the writer writes.
 */
public final class Candidates {
    private Candidates() {}

    /** Which axes may shrink: width (hidden, intermediate, heads), depth (layers), or both. */
    public record Axes(boolean width, boolean depth) {
        public Axes {
            if (!width && !depth) throw new StructuredException("--axes needs width, depth or both");
        }

        /** "width,depth", "width" or "depth". */
        public static Axes parse(String s) {
            boolean w = false, d = false;
            for (String p : s.split(",")) {
                switch (p.strip().toLowerCase(Locale.ROOT)) {
                    case "width" -> w = true;
                    case "depth" -> d = true;
                    default -> throw new StructuredException("--axes takes width, depth or width,depth, got '" + p.strip() + "'");
                }
            }
            return new Axes(w, d);
        }
    }

    /** The search space: limits, tolerance and grid step (0: the coarsest of 64, 32, 16, 8, 1 that gives 3 sizes). */
    public record Space(Axes axes, double maxWidth, double maxDepth, double tolerance, int round) {
        public Space {
            if (!(maxWidth >= 0 && maxWidth < 1)) throw new StructuredException("--max-width-prune must be in [0, 1), got " + maxWidth);
            if (!(maxDepth >= 0 && maxDepth < 1)) throw new StructuredException("--max-depth-prune must be in [0, 1), got " + maxDepth);
            if (!(tolerance >= 0 && tolerance < 1)) throw new StructuredException("--tolerance must be in [0, 1), got " + tolerance);
            if (round < 0) throw new StructuredException("--round must be >= 0 (0: automatic), got " + round);
        }
    }

    /** One uniform architecture and its exact parameter count. */
    public record Candidate(int hiddenSize, int intermediateSize, int numHeads, int numLayers, long params) {
        /** The structured-pruning targets that produce it from {@code cfg} (only the axes that change). */
        public Targets targets(ModelConfig cfg) {
            Map<String, Integer> m = new java.util.LinkedHashMap<>();
            if (hiddenSize != cfg.hiddenSize()) m.put(Targets.HIDDEN, hiddenSize);
            if (intermediateSize != cfg.intermediateSize(0)) m.put(Targets.INTERMEDIATE, intermediateSize);
            if (numHeads != cfg.numHeads(0)) m.put(Targets.HEADS, numHeads);
            if (numLayers != cfg.numLayers()) m.put(Targets.LAYERS, numLayers);
            return new Targets(m);
        }

        /** "hidden 48, intermediate 128, heads 8, layers 4". */
        public String describe() {
            return "hidden " + hiddenSize + ", intermediate " + intermediateSize + ", heads " + numHeads + ", layers " + numLayers;
        }
    }

    /** Every grid point (within the limits), the ones within tolerance of the budget, and the reachable range. */
    public record Enumeration(long budget, long denseParams, List<Candidate> grid, List<Candidate> fitting, long smallest, long largest) {
        /** The {@code k} fitting candidates with the most parameters (the list is already in that order). */
        public List<Candidate> kept(int k) { return fitting.subList(0, Math.min(k, fitting.size())); }
    }

    /** Parses --params: a fraction of {@code dense} (0 < f <= 1) or a count such as 150M, 2.5K, 1B, 123456. */
    public static long budget(String s, long dense) {
        String t = s.strip().toUpperCase(Locale.ROOT);
        double mult = 1;
        if (t.endsWith("K")) mult = 1e3;
        else if (t.endsWith("M")) mult = 1e6;
        else if (t.endsWith("B") || t.endsWith("G")) mult = 1e9;
        String num = mult == 1 ? t : t.substring(0, t.length() - 1);
        double v;
        try {
            v = Double.parseDouble(num);
        } catch (NumberFormatException e) {
            throw new StructuredException("--params must be a fraction such as 0.6 or a count such as 150M, got '" + s + "'");
        }
        if (!(v > 0)) throw new StructuredException("--params must be positive, got '" + s + "'");
        if (mult == 1 && v <= 1) return Math.round(v * dense);
        return Math.round(v * mult);
    }

    /** The enumeration for {@code budget} parameters on the uniform model {@code cfg}; refuses per-layer shapes. */
    public static Enumeration enumerate(ModelConfig cfg, long budget, Space sp) {
        if (cfg.hasPerLayerShapes()) throw new StructuredException("compress needs a model with the same shapes in every layer");
        int c = cfg.hiddenSize(), in = cfg.intermediateSize(0), h = cfg.numHeads(0), kv = cfg.numKvHeads(0), n = cfg.numLayers();
        long dense = params(cfg, c, in, h, n);
        List<Integer> cs = sp.axes().width() ? sizes(c, sp.maxWidth(), sp.round(), 1) : List.of(c);
        List<Integer> is = sp.axes().width() ? sizes(in, sp.maxWidth(), sp.round(), 1) : List.of(in);
        List<Integer> hs = sp.axes().width() ? sizes(h, sp.maxWidth(), kv == h ? 1 : kv, kv == h ? 1 : kv) : List.of(h);
        List<Integer> ls = sp.axes().depth() ? sizes(n, sp.maxDepth(), 1, 1) : List.of(n);
        List<Candidate> grid = new ArrayList<>();
        for (int cc : cs) for (int ii : is) for (int hh : hs) for (int ll : ls) {
            if (cc == c && ii == in && hh == h && ll == n) continue; // the dense model is no candidate
            grid.add(new Candidate(cc, ii, hh, ll, params(cfg, cc, ii, hh, ll)));
        }
        Comparator<Candidate> order = Comparator.comparingLong(Candidate::params).reversed()
                .thenComparing(Comparator.comparingInt(Candidate::numLayers).reversed())
                .thenComparing(Comparator.comparingInt(Candidate::hiddenSize).reversed())
                .thenComparing(Comparator.comparingInt(Candidate::numHeads).reversed())
                .thenComparing(Comparator.comparingInt(Candidate::intermediateSize).reversed());
        grid.sort(order);
        long smallest = grid.isEmpty() ? dense : grid.get(grid.size() - 1).params(), largest = grid.isEmpty() ? dense : grid.get(0).params();
        String range = String.format(Locale.ROOT, "the smallest reachable size is %,d and the largest %,d parameters (dense model %,d; --max-width-prune %s, --max-depth-prune %s, --axes %s)",
                smallest, largest, dense, sp.maxWidth(), sp.maxDepth(), (sp.axes().width() ? "width" : "") + (sp.axes().width() && sp.axes().depth() ? "," : "") + (sp.axes().depth() ? "depth" : ""));
        if (budget >= dense) throw new StructuredException(String.format(Locale.ROOT, "--params %,d is not below the model's %,d parameters; %s", budget, dense, range));
        List<Candidate> fit = new ArrayList<>();
        for (Candidate k : grid) if (Math.abs(k.params() - budget) <= sp.tolerance() * budget) fit.add(k);
        if (fit.isEmpty())
            throw new StructuredException(String.format(Locale.ROOT, "--params %,d: no candidate lies within --tolerance %s of it; %s", budget, sp.tolerance(), range));
        return new Enumeration(budget, dense, List.copyOf(grid), List.copyOf(fit), smallest, largest);
    }

    /** Exact parameters of {@code cfg} pruned uniformly to these sizes (head size and, except under MHA, KV heads unchanged). */
    public static long params(ModelConfig cfg, int hidden, int intermediate, int heads, int layers) {
        long p = 0;
        for (int[] s : LlamaModel.expectedShapes(config(cfg, hidden, intermediate, heads, layers)).values()) {
            long e = 1;
            for (int d : s) e *= d;
            p += e;
        }
        return p;
    }

    /** The config of the uniform candidate (its first {@code layers} layers stand for whichever are kept). */
    public static ModelConfig config(ModelConfig cfg, int hidden, int intermediate, int heads, int layers) {
        int[] keep = new int[layers];
        for (int i = 0; i < layers; i++) keep[i] = i;
        try {
            ModelConfig.Builder b = cfg.toBuilder().keepLayers(keep).hiddenSize(hidden).headDim(cfg.headDim());
            int kv = cfg.numKvHeads(0) == cfg.numHeads(0) ? heads : cfg.numKvHeads(0); // MHA: a head's K/V go with it (Planner)
            for (int i = 0; i < layers; i++) b.layer(i, heads, kv, intermediate);
            return b.build();
        } catch (ConfigException e) {
            throw new StructuredException("candidate " + hidden + "/" + intermediate + "/" + heads + "/" + layers + ": " + e.getMessage());
        }
    }

    /**
     * Sizes from ceil((1 - maxPrune) * full) to full: multiples of {@code step} (0: the coarsest of 64, 32, 16, 8
     * giving at least 3 sizes, else 1) and of {@code unit}, plus {@code full} itself; ascending.
     */
    static List<Integer> sizes(int full, double maxPrune, int step, int unit) {
        int lo = (int) Math.ceil((1 - maxPrune) * full - 1e-9);
        if (step == 0) {
            step = 1;
            for (int s : new int[] {64, 32, 16, 8})
                if (grid(full, lo, s, unit).size() >= 3) { step = s; break; }
        }
        return List.copyOf(grid(full, lo, step, unit));
    }

    private static TreeSet<Integer> grid(int full, int lo, int step, int unit) {
        TreeSet<Integer> s = new TreeSet<>();
        s.add(full);
        int m = Math.max(step, unit);
        for (int v = ((Math.max(lo, 1) + m - 1) / m) * m; v <= full; v += m) if (v % unit == 0 && v % step == 0) s.add(v);
        return s;
    }
}
