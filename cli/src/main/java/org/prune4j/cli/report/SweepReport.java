package org.prune4j.cli.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.prune4j.pruning.Comparison;

/**
 * A sweep's results (the dense baseline first, then one row per method × target; with --per-layer, one row per method
 * × target × decoder layer pruned alone), rendered as the text table, the --json object and report.html: perplexity vs
 * sparsity per method, the N:M runs beside the unstructured ones, perplexity vs the layer pruned, and the tables.
 */
public record SweepReport(String model, String calibLine, String evalLine, List<Comparison.Row> rows, List<Comparison.LayerRow> layers,
                          double seconds, int kept) {
    public SweepReport {
        rows = List.copyOf(rows);
        layers = List.copyOf(layers);
        if (rows.isEmpty() || !rows.get(0).method().equals("dense")) throw new IllegalArgumentException("a sweep report starts with the dense row");
    }

    /** "method target" of a row, the name a run goes by everywhere in the report. */
    public static String runName(Comparison.Row r) {
        return r.method().equals("dense") ? "dense" : r.method() + " " + r.target();
    }

    /** "wanda 50% layer 3", the name a per-layer cell goes by. */
    public static String runName(Comparison.LayerRow r) {
        return r.method() + " " + r.target() + " layer " + r.layer();
    }

    public String text() {
        StringBuilder sb = new StringBuilder(model + "; calibration: " + calibLine + "; evaluation: " + evalLine + "\n\n" + Comparison.table(rows));
        if (!layers.isEmpty()) {
            double dense = rows.get(0).ppl();
            sb.append(String.format(Locale.ROOT, "%nonly one decoder layer pruned (dense ppl %.3f):%n%-10s %-7s %5s %9s %11s %9s%n", dense, "method", "target", "layer",
                    "sparsity", "perplexity", "vs dense"));
            for (Comparison.LayerRow r : layers)
                sb.append(String.format(Locale.ROOT, "%-10s %-7s %5d %8.2f%% %11.3f %8.2fx%n", r.method(), r.target(), r.layer(), 100 * r.sparsity(), r.ppl(), r.ppl() / dense));
        }
        return sb.append(String.format(Locale.ROOT, "%nsweep time %.1f s (%d of %d cells kept from an earlier run)%n", seconds, kept, rows.size() + layers.size())).toString();
    }

    public Map<String, Object> json() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", model);
        j.put("calibration", calibLine);
        j.put("evaluation", evalLine);
        j.put("seconds", seconds);
        j.put("cells_kept", kept);
        List<Object> rs = new ArrayList<>();
        for (Comparison.Row r : rows) rs.add(rowJson(r));
        j.put("runs", rs);
        if (!layers.isEmpty()) {
            List<Object> ls = new ArrayList<>();
            for (Comparison.LayerRow r : layers) ls.add(rowJson(r));
            j.put("per_layer", ls);
        }
        return j;
    }

    /** A per-layer cell as JSON: method, target, layer, the layer's sparsity, ppl, nll, seconds. */
    public static Map<String, Object> rowJson(Comparison.LayerRow r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", r.method());
        m.put("target", r.target());
        m.put("layer", r.layer());
        m.put("sparsity", r.sparsity());
        m.put("ppl", r.ppl());
        m.put("nll", r.nll());
        m.put("seconds", r.seconds());
        return m;
    }

    /** A per-layer cell read back from its JSON. */
    public static Comparison.LayerRow layerRowOf(Map<String, Object> m) {
        return new Comparison.LayerRow((String) m.get("method"), (String) m.get("target"), ((Number) m.get("layer")).intValue(), num(m, "sparsity"),
                num(m, "ppl"), num(m, "nll"), num(m, "seconds"));
    }

    public static Map<String, Object> rowJson(Comparison.Row r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", r.method());
        m.put("target", r.target());
        m.put("sparsity", r.sparsity());
        m.put("ppl", r.ppl());
        m.put("nll", r.nll());
        m.put("seconds", r.seconds());
        return m;
    }

    public static Comparison.Row rowOf(Map<String, Object> m) {
        return new Comparison.Row((String) m.get("method"), (String) m.get("target"), num(m, "sparsity"), num(m, "ppl"), num(m, "nll"), num(m, "seconds"));
    }

    private static double num(Map<String, Object> m, String k) {
        return ((Number) m.get(k)).doubleValue();
    }

    public Table table() {
        double dense = rows.get(0).ppl();
        List<List<Object>> t = new ArrayList<>();
        for (Comparison.Row r : rows) t.add(List.of(runName(r), r.method(), r.target(), r.sparsity(), r.ppl(), r.ppl() / dense, r.nll(), r.seconds()));
        return new Table("Runs", List.of("run", "method", "target", "sparsity", "perplexity", "vs dense", "nll", "prune seconds"), t);
    }

    /** The per-layer cells: per-layer-sensitivity.csv. */
    public Table layerTable() {
        double dense = rows.get(0).ppl();
        List<List<Object>> t = new ArrayList<>();
        for (Comparison.LayerRow r : layers) t.add(List.of(r.method(), r.target(), r.layer(), r.sparsity(), r.ppl(), r.ppl() / dense, r.nll(), r.seconds()));
        return new Table("Per-layer sensitivity", List.of("method", "target", "layer", "layer sparsity", "perplexity", "vs dense", "nll", "prune seconds"), t);
    }

    public ReportPage page() {
        ReportPage p = new ReportPage("prune4j sweep of " + model);
        p.fact("model: " + model);
        p.fact("calibration: " + calibLine);
        p.fact("evaluation: " + evalLine);
        List<String> names = new ArrayList<>();
        for (Comparison.Row r : rows) names.add(runName(r));
        p.fact(rows.size() + " runs: " + String.join(", ", names));
        if (!layers.isEmpty()) p.fact(layers.size() + " per-layer cells: each method × target with one decoder layer pruned alone");
        p.fact(String.format(Locale.ROOT, "this invocation took %.1f s; %d of %d cells were kept from an earlier one", seconds, kept, rows.size() + layers.size()));

        Comparison.Row dense = rows.get(0);
        List<String> methods = new ArrayList<>();
        for (Comparison.Row r : rows.subList(1, rows.size())) if (!methods.contains(r.method())) methods.add(r.method());
        List<Svg.Series> lines = new ArrayList<>();
        for (String m : methods) {
            List<double[]> pts = new ArrayList<>();
            pts.add(new double[]{0, dense.ppl()});
            for (Comparison.Row r : rows) if (r.method().equals(m) && r.target().endsWith("%")) pts.add(new double[]{100 * r.sparsity(), r.ppl()});
            if (pts.size() < 2) continue;
            pts.sort((a, b) -> Double.compare(a[0], b[0]));
            double[] x = new double[pts.size()], y = new double[pts.size()];
            for (int i = 0; i < x.length; i++) { x[i] = pts.get(i)[0]; y[i] = pts.get(i)[1]; }
            lines.add(new Svg.Series(m, x, y));
        }
        if (!lines.isEmpty())
            p.plot("Perplexity vs sparsity", Svg.lines("perplexity vs unstructured sparsity", "sparsity of the linear layers (%)", "perplexity", lines, true),
                    "Perplexity (exp of the mean next-token NLL) on " + evalLine + " after pruning every linear layer of the decoder to each unstructured target, "
                            + "one line per method; 0% is the dense model. Sparsity on the x axis is the measured fraction of zeros.");
        List<String> labels = new ArrayList<>();
        List<Double> vals = new ArrayList<>();
        for (Comparison.Row r : rows) { labels.add(runName(r)); vals.add(r.ppl()); }
        double[] v = vals.stream().mapToDouble(Double::doubleValue).toArray();
        p.plot("Perplexity of every run", Svg.bars("perplexity per run", "perplexity", labels, v),
                "Every run of the sweep, N:M included, with the dense model first; same evaluation as above.");
        perLayerPlots(p, dense);
        p.table(table(), "Each run's measured sparsity, perplexity, ratio to the dense perplexity, mean NLL (nats/token) and pruning time");
        if (!layers.isEmpty())
            p.table(layerTable(), "Each per-layer cell: the layer pruned alone, its measured sparsity (zeros over its seven linear weights), the model's perplexity, "
                    + "its ratio to the dense perplexity, mean NLL (nats/token) and pruning time");
        return p;
    }

    /** One plot per target: perplexity vs the decoder layer pruned alone, one line per method, the dense model flat. */
    private void perLayerPlots(ReportPage p, Comparison.Row dense) {
        List<String> targets = new ArrayList<>();
        for (Comparison.LayerRow r : layers) if (!targets.contains(r.target())) targets.add(r.target());
        for (String target : targets) {
            List<String> methods = new ArrayList<>();
            for (Comparison.LayerRow r : layers) if (r.target().equals(target) && !methods.contains(r.method())) methods.add(r.method());
            List<Svg.Series> lines = new ArrayList<>();
            int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
            for (String m : methods) {
                List<Comparison.LayerRow> cells = new ArrayList<>();
                for (Comparison.LayerRow r : layers) if (r.target().equals(target) && r.method().equals(m)) cells.add(r);
                cells.sort((a, b) -> Integer.compare(a.layer(), b.layer()));
                double[] x = new double[cells.size()], y = new double[cells.size()];
                for (int i = 0; i < x.length; i++) {
                    x[i] = cells.get(i).layer();
                    y[i] = cells.get(i).ppl();
                    lo = Math.min(lo, cells.get(i).layer());
                    hi = Math.max(hi, cells.get(i).layer());
                }
                lines.add(new Svg.Series(m + " " + target, x, y));
            }
            double[] bx = new double[hi - lo + 1], by = new double[bx.length];
            for (int i = 0; i < bx.length; i++) { bx[i] = lo + i; by[i] = dense.ppl(); }
            lines.add(new Svg.Series("dense", bx, by));
            p.plot("Per-layer sensitivity at " + target, Svg.lines("perplexity with one layer pruned to " + target, "decoder layer pruned alone (index)", "perplexity", lines, true),
                    "Perplexity (exp of the mean next-token NLL) on " + evalLine + " when only decoder layer l is pruned to " + target
                            + " (all seven of its linear weights: q, k, v, o, gate, up, down) from the dense weights, every other layer left dense; "
                            + "calibrated as the sweep's cells are, so layer l sees the dense outputs of the layers before it. One line per method; "
                            + String.format(Locale.ROOT, "the flat line is the dense model (%.3f).", dense.ppl()));
        }
    }
}
