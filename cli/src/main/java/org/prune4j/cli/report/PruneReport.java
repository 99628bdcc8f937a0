package org.prune4j.cli.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.prune4j.cli.PeakMemory;
import org.prune4j.pruning.LinearReport;
import org.prune4j.pruning.SequentialPruner;

/**
 * What one {@code prune} run did, built once from the pruner's result and rendered three ways: {@link #text()} (the
 * per-layer table people read), {@link #json()} (the --json object) and {@link #page()} (report.html with plots).
 */
public record PruneReport(String method, String target, String model, String out, List<LinearReport> linears, double seconds,
                          long calibrationTokens, long modelParams, long peakRssBytes, long peakHeapBytes, List<String> files) {
    private static final Pattern LINEAR = Pattern.compile("model\\.layers\\.(\\d+)\\.(?:self_attn|mlp)\\.(\\w+?)(?:_proj)?\\.weight");

    public PruneReport {
        linears = List.copyOf(linears);
        files = List.copyOf(files);
    }

    /** The report of {@code r}. */
    public static PruneReport of(String method, String target, String model, String out, SequentialPruner.Result r, long modelParams,
                                 long peakRss, long peakHeap, List<String> files) {
        return new PruneReport(method, target, model, out, r.linears(), r.seconds(), r.calibrationTokens(), modelParams, peakRss, peakHeap, files);
    }

    public long params() { long n = 0; for (LinearReport l : linears) n += l.params(); return n; }

    public long zeros() { long n = 0; for (LinearReport l : linears) n += l.zeros(); return n; }

    public double sparsity() { long p = params(); return p == 0 ? 0 : (double) zeros() / p; }

    /** The linears of each decoder layer, in checkpoint order, keyed by layer index. */
    public Map<Integer, List<LinearReport>> byLayer() {
        Map<Integer, List<LinearReport>> m = new TreeMap<>();
        for (LinearReport l : linears) m.computeIfAbsent(layerOf(l.name()), k -> new ArrayList<>()).add(l);
        return m;
    }

    /** The short kind of a linear ("q", "k", "v", "o", "gate", "up", "down"), its name when it is not a layer's. */
    public static String kindOf(String name) {
        Matcher m = LINEAR.matcher(name);
        return m.matches() ? m.group(2) : name;
    }

    static int layerOf(String name) {
        Matcher m = LINEAR.matcher(name);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    public String text() {
        StringBuilder text = new StringBuilder();
        for (var e : byLayer().entrySet()) {
            long z = 0, p = 0;
            StringBuilder per = new StringBuilder();
            for (LinearReport lr : e.getValue()) {
                z += lr.zeros();
                p += lr.params();
                per.append(String.format(Locale.ROOT, " %s %.2f%%", kindOf(lr.name()), 100 * lr.sparsity()));
            }
            text.append(String.format(Locale.ROOT, "layer %2d: %6.2f%% |%s%n", e.getKey(), 100.0 * z / Math.max(1, p), per));
        }
        text.append(String.format(Locale.ROOT, "total: %.2f%% of %,d linear weights are zero (%.2f%% of all %,d parameters); target %s%n",
                100 * sparsity(), params(), 100.0 * zeros() / Math.max(1, modelParams), modelParams, target));
        text.append(String.format(Locale.ROOT, "time %.2f s, peak RSS %s, peak heap %s%n", seconds, PeakMemory.format(peakRssBytes), PeakMemory.format(peakHeapBytes)));
        text.append("wrote ").append(out).append(" (").append(String.join(", ", files)).append(")");
        return text.toString();
    }

    public Map<String, Object> json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("method", method);
        json.put("target", target);
        json.put("sparsity", sparsity());
        json.put("zeros", zeros());
        json.put("params", params());
        json.put("model_params", modelParams);
        json.put("seconds", seconds);
        json.put("calibration_tokens", calibrationTokens);
        json.put("peak_rss_bytes", peakRssBytes);
        json.put("peak_heap_bytes", peakHeapBytes);
        json.put("out", out);
        List<Object> layers = new ArrayList<>();
        for (LinearReport lr : linears) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", lr.name());
            m.put("shape", List.of((long) lr.rows(), (long) lr.cols()));
            m.put("target", lr.target());
            m.put("zeros", lr.zeros());
            m.put("sparsity", lr.sparsity());
            if (method.equals("sparsegpt")) m.put("obs_error", lr.loss());
            layers.add(m);
        }
        json.put("layers", layers);
        return json;
    }

    /** The per-linear table (also report's CSV). */
    public Table linearTable() {
        List<List<Object>> rows = new ArrayList<>();
        for (LinearReport lr : linears) {
            rows.add(List.of(lr.name(), layerOf(lr.name()), kindOf(lr.name()), lr.rows(), lr.cols(), lr.target(), lr.zeros(), lr.sparsity(), lr.loss()));
        }
        return new Table("Linear layers", List.of("name", "layer", "kind", "rows", "cols", "target", "zeros", "sparsity", "obs_error"), rows);
    }

    public ReportPage page() {
        ReportPage p = new ReportPage("prune4j prune: " + method + " " + target + " of " + model);
        p.fact("run: " + method + " " + target + " of " + model + " → " + out);
        p.fact(String.format(Locale.ROOT, "%.2f%% of %,d linear weights are zero (%.2f%% of all %,d parameters)", 100 * sparsity(), params(),
                100.0 * zeros() / Math.max(1, modelParams), modelParams));
        p.fact(String.format(Locale.ROOT, "%,d calibration tokens; %.2f s; peak RSS %s", calibrationTokens, seconds, PeakMemory.format(peakRssBytes)));
        List<String> labels = new ArrayList<>();
        double[] sp = new double[linears.size()];
        for (int i = 0; i < linears.size(); i++) {
            LinearReport lr = linears.get(i);
            labels.add(layerOf(lr.name()) + "." + kindOf(lr.name()));
            sp[i] = 100 * lr.sparsity();
        }
        p.plot("Sparsity of each linear layer", Svg.bars("sparsity per linear layer", "zeros (% of weights)", labels, sp),
                "Fraction of exact zeros in each pruned weight matrix after " + method + " " + target + ", counted in the tensors written (layer.projection on the x axis; every third labelled when there are many).");
        Map<Integer, List<LinearReport>> by = byLayer();
        if (!by.isEmpty()) {
            List<String> kinds = new ArrayList<>();
            for (LinearReport lr : by.values().iterator().next()) kinds.add(kindOf(lr.name()));
            List<String> rows = new ArrayList<>();
            double[][] v = new double[by.size()][kinds.size()];
            double[][] err = new double[by.size()][kinds.size()];
            int r = 0;
            for (var e : by.entrySet()) {
                rows.add("layer " + e.getKey());
                for (int c = 0; c < kinds.size() && c < e.getValue().size(); c++) {
                    v[r][c] = 100 * e.getValue().get(c).sparsity();
                    err[r][c] = e.getValue().get(c).loss();
                }
                r++;
            }
            p.plot("Sparsity by layer and projection", Svg.heatmap("sparsity (%) by layer and projection", "%", rows, kinds, v),
                    "The same zeros as a layer × projection grid; colour from the smallest to the largest sparsity measured.");
            if (method.equals("sparsegpt"))
                p.plot("SparseGPT reconstruction error", Svg.heatmap("OBS error by layer and projection", "", rows, kinds, err),
                        "SparseGPT's optimal-brain-surgeon estimate of the reconstruction error each matrix's pruning introduced on the calibration inputs, per layer and projection (the obs_error column of the table).");
        }
        p.table(linearTable(), "Every pruned matrix: its shape, target, zeros and (SparseGPT) OBS error");
        return p;
    }
}
