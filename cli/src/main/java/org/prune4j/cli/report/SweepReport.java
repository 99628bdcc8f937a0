package org.prune4j.cli.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.prune4j.pruning.Comparison;

/**
 * A sweep's results (the dense baseline first, then one row per method × target), rendered as the text table, the
 * --json object and report.html: perplexity vs sparsity per method, the N:M runs beside the unstructured ones, and the
 * table.
 */
public record SweepReport(String model, String calibLine, String evalLine, List<Comparison.Row> rows, double seconds, int kept) {
    public SweepReport {
        rows = List.copyOf(rows);
        if (rows.isEmpty() || !rows.get(0).method().equals("dense")) throw new IllegalArgumentException("a sweep report starts with the dense row");
    }

    /** "method target" of a row, the name a run goes by everywhere in the report. */
    public static String runName(Comparison.Row r) {
        return r.method().equals("dense") ? "dense" : r.method() + " " + r.target();
    }

    public String text() {
        return model + "; calibration: " + calibLine + "; evaluation: " + evalLine + "\n\n" + Comparison.table(rows)
                + String.format(Locale.ROOT, "%nsweep time %.1f s (%d of %d cells kept from an earlier run)%n", seconds, kept, rows.size());
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
        return j;
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

    public ReportPage page() {
        ReportPage p = new ReportPage("prune4j sweep of " + model);
        p.fact("model: " + model);
        p.fact("calibration: " + calibLine);
        p.fact("evaluation: " + evalLine);
        List<String> names = new ArrayList<>();
        for (Comparison.Row r : rows) names.add(runName(r));
        p.fact(rows.size() + " runs: " + String.join(", ", names));
        p.fact(String.format(Locale.ROOT, "this invocation took %.1f s; %d of %d cells were kept from an earlier one", seconds, kept, rows.size()));

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
        p.table(table(), "Each run's measured sparsity, perplexity, ratio to the dense perplexity, mean NLL (nats/token) and pruning time");
        return p;
    }
}
