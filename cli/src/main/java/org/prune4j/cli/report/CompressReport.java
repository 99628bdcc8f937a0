package org.prune4j.cli.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.prune4j.io.json.Json;

/**
 * The page of a {@code compress --report} folder, drawn from the files compress writes there (compress.json,
 * candidates.json, losses.csv): parameters vs perplexity of the structured candidates with their Pareto front, and
 * the loss curves of the search and final distillations.
 */
public record CompressReport(Map<String, Object> summary, List<Map<String, Object>> candidates, Map<String, List<double[]>> losses) {

    /** Reads the report folder {@code dir} that compress wrote. */
    @SuppressWarnings("unchecked")
    public static CompressReport read(Path dir) throws IOException {
        Map<String, Object> summary = Json.parseObject(Files.readString(dir.resolve("compress.json")), false);
        List<Map<String, Object>> cands = new ArrayList<>();
        for (Object o : (List<Object>) Json.parse(Files.readString(dir.resolve("candidates.json")))) cands.add((Map<String, Object>) o);
        Map<String, List<double[]>> losses = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(dir.resolve("losses.csv"));
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] f = line.split(",");
            if (f.length != 3) throw new IOException(dir.resolve("losses.csv") + ": line '" + line + "' is not run,step,loss");
            losses.computeIfAbsent(f[0], k -> new ArrayList<>()).add(new double[]{Double.parseDouble(f[1]), Double.parseDouble(f[2])});
        }
        return new CompressReport(summary, cands, losses);
    }

    /** Writes report.html, report.json (the summary) and searched-candidates.csv into {@code dir}, beside compress's own files. */
    public static void write(Path dir) throws IOException {
        CompressReport r = read(dir);
        r.page().write(dir, r.summary());
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** "h64 i128 a4 l5": a candidate's shape. */
    static String shape(Map<String, Object> c) {
        return "h" + c.get("hidden_size") + " i" + c.get("intermediate_size") + " a" + c.get("num_attention_heads") + " l" + c.get("num_hidden_layers");
    }

    /** The points not dominated by another (fewer or equal parameters and lower or equal perplexity, one of them strictly), by parameters. */
    static List<double[]> paretoFront(List<double[]> pts) {
        List<double[]> s = new ArrayList<>(pts);
        s.sort(Comparator.<double[]>comparingDouble(a -> a[0]).thenComparingDouble(a -> a[1]));
        List<double[]> front = new ArrayList<>();
        double best = Double.POSITIVE_INFINITY;
        for (double[] a : s) if (a[1] < best) { front.add(a); best = a[1]; }
        return front;
    }

    private static Svg.Series series(String name, List<double[]> pts, boolean line) {
        double[] x = new double[pts.size()], y = new double[pts.size()];
        for (int i = 0; i < x.length; i++) { x[i] = pts.get(i)[0]; y[i] = pts.get(i)[1]; }
        return new Svg.Series(name, x, y, line);
    }

    private List<Map<String, Object>> searched() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> c : candidates) if (Boolean.TRUE.equals(c.get("kept")) && c.get("ppl_searched") instanceof Number) out.add(c);
        return out;
    }

    List<Table> tables() {
        List<List<Object>> rows = new ArrayList<>();
        for (Map<String, Object> c : searched())
            rows.add(List.of(c.get("index"), shape(c), c.get("params"), c.get("ppl_pruned"), c.get("ppl_searched")));
        return List.of(new Table("Searched candidates", List.of("candidate", "shape", "parameters", "ppl after pruning", "ppl after search"), rows));
    }

    public ReportPage page() {
        ReportPage p = new ReportPage("prune4j compress of " + summary.get("out"));
        p.fact(String.format(java.util.Locale.ROOT, "budget %s parameters of %s dense; teacher perplexity %s", summary.get("budget"), summary.get("dense_params"),
                Svg.num(num(summary.get("teacher_ppl")))));
        List<Map<String, Object>> s = searched();
        List<String> names = new ArrayList<>();
        for (Map<String, Object> c : s) names.add("candidate " + c.get("index") + " (" + shape(c) + ")");
        p.fact(s.size() + " candidates searched: " + String.join(", ", names));
        p.fact(String.format(java.util.Locale.ROOT, "best: candidate %s, %s parameters; final perplexity %s after %s steps (search: %s steps each)", summary.get("best"),
                summary.get("best_params"), Svg.num(num(summary.get("final_ppl"))), summary.get("final_steps"), summary.get("search_steps")));

        List<double[]> pruned = new ArrayList<>(), after = new ArrayList<>();
        for (Map<String, Object> c : s) {
            pruned.add(new double[]{num(c.get("params")), num(c.get("ppl_pruned"))});
            after.add(new double[]{num(c.get("params")), num(c.get("ppl_searched"))});
        }
        if (!s.isEmpty()) {
            List<Svg.Series> series = new ArrayList<>();
            series.add(series("after pruning", pruned, false));
            series.add(series("after search", after, false));
            series.add(series("Pareto front", paretoFront(after), true));
            series.add(series("final model", List.of(new double[]{num(summary.get("best_params")), num(summary.get("final_ppl"))}), false));
            p.plot("Parameters vs perplexity", Svg.lines("structured candidates: parameters vs perplexity", "parameters", "perplexity", series, true),
                    "Each searched candidate architecture (the shapes within the parameter budget's tolerance), pruned from the dense model by Minitron's scores: its perplexity "
                            + "(exp of the mean next-token NLL on the --eval windows) right after pruning and after the short search distillation of " + summary.get("search_steps")
                            + " steps; the Pareto front joins the searched candidates no other beats on both parameters and perplexity. The final model is the best candidate after "
                            + summary.get("final_steps") + " steps. The dense teacher (" + summary.get("dense_params") + " parameters, perplexity "
                            + Svg.num(num(summary.get("teacher_ppl"))) + ") is left off the plot so that the candidates spread over the axis.");
        }
        List<Svg.Series> curves = new ArrayList<>();
        losses.forEach((run, pts) -> curves.add(series(run, pts, true)));
        if (!curves.isEmpty())
            p.plot("Distillation loss", Svg.lines("KD loss per step, search and final runs", "optimizer step", "loss (nats/token)", curves, false),
                    "The logit-KD loss (forward KL, T = 1) of each optimizer step on its training batch, for every candidate's search distillation and the final one.");
        for (Table t : tables()) p.table(t, "Every searched candidate: its shape (hidden, intermediate, heads, layers), parameters and perplexities");
        return p;
    }
}
