package org.prune4j.pruning.verify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code verify} found: the rules it checked, zeros per linear weight, parameter counts, for a structured
 * checkpoint which units were removed, and the first violations with a count per rule. One record, two renderers
 * ({@link #text()}, {@link #toJson()}).
 *
 * @param checks the rules checked, each with where its claim came from (e.g. "nm 2:4 (safetensors metadata)")
 * @param expectedParams the parameters the pruned config implies
 * @param structure the units a plan removed, or null without a plan
 * @param violationCount all violations, of which {@code violations} are the first
 */
public record VerifyReport(String dense, String pruned, List<String> checks, List<TensorStat> linears, long denseParams, long prunedParams,
                           long expectedParams, Structure structure, List<Violation> violations, Map<String, Long> counts, long violationCount) {

    /** One pruned linear weight [rows, cols] of decoder layer {@code layer}, with its zeros. */
    public record TensorStat(String name, int layer, int rows, int cols, long zeros) {
        public long params() { return (long) rows * cols; }
        public double sparsity() { return params() == 0 ? 0 : (double) zeros / params(); }
    }

    /** What a plan removed: parent layers dropped, hidden channels kept, and per kept layer its heads, KV heads and neurons. */
    public record Structure(List<Integer> removedLayers, int channelsKept, int channelsTotal, List<LayerChange> layers) {}

    /** One kept layer: parent index, index in the pruned model, removed query heads, output KV heads as parent KV heads, neurons kept. */
    public record LayerChange(int source, int index, int[] removedHeads, int headsTotal, int[][] kv, int kvTotal, int neuronsKept, int neuronsTotal) {}

    public VerifyReport {
        checks = List.copyOf(checks);
        linears = List.copyOf(linears);
        violations = List.copyOf(violations);
        counts = Map.copyOf(counts);
    }

    /** True when every checked rule holds. */
    public boolean passed() { return violationCount == 0; }

    public long linearZeros() { return linears.stream().mapToLong(TensorStat::zeros).sum(); }

    public long linearParams() { return linears.stream().mapToLong(TensorStat::params).sum(); }

    /** Zeros over all linear weights. */
    public double sparsity() { return linearParams() == 0 ? 0 : (double) linearZeros() / linearParams(); }

    /** Zeros over the linear weights of each decoder layer of the pruned model. */
    public Map<Integer, Double> layerSparsity() {
        Map<Integer, long[]> zp = new TreeMap<>();
        for (TensorStat t : linears) {
            long[] a = zp.computeIfAbsent(t.layer(), l -> new long[2]);
            a[0] += t.zeros();
            a[1] += t.params();
        }
        Map<Integer, Double> r = new LinkedHashMap<>();
        zp.forEach((l, a) -> r.put(l, a[1] == 0 ? 0 : (double) a[0] / a[1]));
        return r;
    }

    /** The human-readable report. */
    public String text() {
        StringBuilder b = new StringBuilder();
        b.append("verify ").append(pruned).append(" against ").append(dense).append('\n');
        b.append("checked: ").append(String.join("; ", checks)).append('\n');
        layerSparsity().forEach((l, s) -> b.append(String.format(Locale.ROOT, "layer %2d: %6.2f%% zeros in its linear weights%n", l, 100 * s)));
        b.append(String.format(Locale.ROOT, "total: %.2f%% of %,d linear weights are zero; parameters %,d (parent %,d, config implies %,d)%n",
                100 * sparsity(), linearParams(), prunedParams, denseParams, expectedParams));
        if (structure != null) {
            b.append(String.format(Locale.ROOT, "structure: layers removed %s; hidden channels %d of %d%n",
                    structure.removedLayers(), structure.channelsKept(), structure.channelsTotal()));
            for (LayerChange c : structure.layers())
                b.append(String.format(Locale.ROOT, "  layer %d -> %d: heads removed %s of %d; KV heads %s of %d; neurons %d of %d%n", c.source(), c.index(),
                        Arrays.toString(c.removedHeads()), c.headsTotal(), Arrays.deepToString(c.kv()), c.kvTotal(), c.neuronsKept(), c.neuronsTotal()));
        }
        if (passed()) b.append("OK: every rule holds");
        else {
            b.append("FAILED: ").append(violationCount).append(" violations ").append(new TreeMap<>(counts)).append("; the first ").append(violations.size()).append(":\n");
            for (Violation v : violations) b.append("  ").append(v).append('\n');
            b.setLength(b.length() - 1);
        }
        return b.toString();
    }

    /** The report as JSON (the last stdout line of {@code verify --json}). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("passed", passed());
        m.put("dense", dense);
        m.put("pruned", pruned);
        m.put("checks", new ArrayList<Object>(checks));
        m.put("sparsity", sparsity());
        m.put("linear_zeros", linearZeros());
        m.put("linear_params", linearParams());
        m.put("params", prunedParams);
        m.put("dense_params", denseParams);
        m.put("expected_params", expectedParams);
        Map<String, Object> layers = new LinkedHashMap<>();
        layerSparsity().forEach((l, s) -> layers.put(String.valueOf(l), s));
        m.put("layer_sparsity", layers);
        List<Object> ts = new ArrayList<>();
        for (TensorStat t : linears) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", t.name());
            e.put("shape", List.of((long) t.rows(), (long) t.cols()));
            e.put("zeros", t.zeros());
            e.put("sparsity", t.sparsity());
            ts.add(e);
        }
        m.put("tensors", ts);
        if (structure != null) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("removed_layers", structure.removedLayers().stream().map(i -> (Object) (long) i).toList());
            s.put("channels_kept", (long) structure.channelsKept());
            s.put("channels_total", (long) structure.channelsTotal());
            List<Object> ls = new ArrayList<>();
            for (LayerChange c : structure.layers()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("source", (long) c.source());
                e.put("index", (long) c.index());
                e.put("removed_heads", c.removedHeads());
                e.put("heads_total", (long) c.headsTotal());
                e.put("kv_heads", Arrays.asList((Object[]) c.kv()));
                e.put("kv_total", (long) c.kvTotal());
                e.put("neurons_kept", (long) c.neuronsKept());
                e.put("neurons_total", (long) c.neuronsTotal());
                ls.add(e);
            }
            s.put("layers", ls);
            m.put("structure", s);
        }
        m.put("violation_count", violationCount);
        Map<String, Object> cs = new LinkedHashMap<>();
        new TreeMap<>(counts).forEach(cs::put);
        m.put("violation_counts", cs);
        List<Object> vs = new ArrayList<>();
        for (Violation v : violations) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("tensor", v.tensor());
            e.put("row", v.row());
            e.put("col", v.col());
            e.put("rule", v.rule());
            e.put("detail", v.detail());
            vs.add(e);
        }
        m.put("violations", vs);
        return m;
    }
}
