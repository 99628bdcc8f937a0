package org.prune4j.api.compress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.prune4j.io.json.Json;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.PlanJson;
import org.prune4j.pruning.structured.RankStats;
import org.prune4j.pruning.structured.search.Candidates;

/**
 * The report of a run, as files: {@code plan.json} (the chosen plan and its scores), {@code candidates.csv} and
 * {@code .json} (every grid point, whether it fit and was searched, its perplexities), {@code losses.csv} (every
 * run's loss per step) and {@code compress.json} (the summary).
 */
public final class CompressReport {
    private CompressReport() {}

    /** A candidate's row before training: its index and sizes. */
    static Map<String, Object> row(int i, Candidates.Candidate c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", (long) i);
        m.put("hidden_size", (long) c.hiddenSize());
        m.put("intermediate_size", (long) c.intermediateSize());
        m.put("num_attention_heads", (long) c.numHeads());
        m.put("num_hidden_layers", (long) c.numLayers());
        m.put("params", c.params());
        return m;
    }

    static double num(Map<String, Object> m, String k) { return ((Number) m.get(k)).doubleValue(); }

    /** Spearman's rho between the step-0 and after-search perplexity rankings (mid-ranks for ties); NaN under 2 candidates. */
    public static double spearman(List<Map<String, Object>> rows) {
        int n = rows.size();
        if (n < 2) return Double.NaN;
        double[] a = new double[n], b = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = num(rows.get(i), "ppl_pruned");
            b[i] = num(rows.get(i), "ppl_searched");
        }
        return RankStats.spearman(a, b);
    }

    static String candidatesCsv(Candidates.Enumeration en, List<Candidates.Candidate> kept, List<Map<String, Object>> rows) {
        StringBuilder sb = new StringBuilder("hidden_size,intermediate_size,num_attention_heads,num_hidden_layers,params,fraction,within_tolerance,kept,ppl_pruned,ppl_searched\n");
        for (Candidates.Candidate c : en.grid()) {
            int k = kept.indexOf(c);
            sb.append(String.format(Locale.ROOT, "%d,%d,%d,%d,%d,%.4f,%b,%b,%s,%s%n", c.hiddenSize(), c.intermediateSize(), c.numHeads(), c.numLayers(), c.params(),
                    (double) c.params() / en.denseParams(), en.fitting().contains(c), k >= 0, k >= 0 ? rows.get(k).get("ppl_pruned") : "", k >= 0 ? rows.get(k).get("ppl_searched") : ""));
        }
        return sb.toString();
    }

    static String candidatesJson(Candidates.Enumeration en, List<Candidates.Candidate> kept, List<Map<String, Object>> rows) {
        List<Object> all = new ArrayList<>();
        for (Candidates.Candidate c : en.grid()) {
            int k = kept.indexOf(c);
            Map<String, Object> m = k >= 0 ? new LinkedHashMap<>(rows.get(k)) : row(-1, c);
            m.remove("losses");
            m.remove("seconds");
            m.remove("resumed_at_step");
            m.put("within_tolerance", en.fitting().contains(c));
            m.put("kept", k >= 0);
            all.add(m);
        }
        return Json.writePretty(all, 2);
    }

    /** run,step,loss for every candidate, the final run and the baselines. */
    static String lossesCsv(List<Map<String, Object>> rows, List<Double> finalLosses, Map<String, Map<String, Object>> baselines) {
        StringBuilder sb = new StringBuilder("run,step,loss\n");
        for (Map<String, Object> r : rows) append(sb, "candidate-" + r.get("index"), (List<?>) r.get("losses"));
        append(sb, "final", finalLosses);
        baselines.forEach((name, r) -> append(sb, "baseline-" + name, (List<?>) r.get("losses")));
        return sb.toString();
    }

    private static void append(StringBuilder sb, String run, List<?> losses) {
        for (int i = 0; i < losses.size(); i++) sb.append(run).append(',').append(i + 1).append(',').append(losses.get(i)).append('\n');
    }

    /** Writes the report files into {@code dir} (which the caller builds atomically). */
    static void write(Path dir, Plan plan, String csv, String json, String losses, Map<String, Object> summary) throws IOException {
        Files.createDirectories(dir);
        PlanJson.write(plan, dir.resolve("plan.json"));
        Files.writeString(dir.resolve("candidates.csv"), csv);
        Files.writeString(dir.resolve("candidates.json"), json);
        Files.writeString(dir.resolve("losses.csv"), losses);
        Files.writeString(dir.resolve("compress.json"), Json.writePretty(summary, 2));
    }

    /** Peak resident set of this process (Linux VmHWM), or -1 where /proc is not there. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
