package org.prune4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.json.Json;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.structured.Bootstrap;
import org.prune4j.pruning.structured.Progress;
import org.prune4j.pruning.structured.RankStats;
import org.prune4j.pruning.structured.ScoringInput;
import org.prune4j.pruning.structured.StructuredCriteria;
import org.prune4j.pruning.structured.StructuredCriterion;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;
import org.prune4j.pruning.calibration.CalibrationData;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code scores}: every structured criterion's score for every unit, side by side, so criteria can be compared before
 * anything is removed: the scores (JSON and CSV), rank correlations between criteria per unit kind, and how stable each
 * criterion's top-k is when the calibration windows are resampled (bootstrap).
 */
@Command(name = "scores", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score every structural unit (heads, KV groups, neurons, channels, layers) with several criteria on the dense model.",
                "Writes scores.json, scores.csv and stats.json into --out; prints Spearman and Kendall (tau-b) rank correlations between",
                "the criteria per unit kind, and the bootstrap stability of each criterion's top-k over resampled calibration windows."})
public final class ScoresCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;

    @Option(names = "--model", required = true, description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--calib", description = "Calibration text or token file (needed by every criterion but magnitude and random).")
    Path calib;

    @Option(names = "--doc-separator", description = "Split the calibration text into documents at this string (each encoded with BOS).")
    String docSeparator;

    @Option(names = "--calib-samples", defaultValue = "32", description = "Calibration windows (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per window (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--calib-sampling", defaultValue = "first", description = "first or random (default: ${DEFAULT-VALUE}).")
    String sampling;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of random windows and of the random criterion (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch", defaultValue = "8", description = "Windows per forward/backward pass; michel's batch of the loss (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--methods", split = ",", description = "Criteria to compare, comma-separated; NAME or NAME@KEY=VALUE@... for options"
            + " (e.g. taylor@taylor=vectorize@group-agg=max). Default: every registered criterion.")
    List<String> methods;

    @Option(names = "--kinds", split = ",", description = "Unit kinds: head, kv_group, neuron, channel, layer (default: all each criterion scores).")
    List<String> kinds;

    @Option(names = "--criterion-option", description = "KEY=VALUE passed to every criterion (e.g. taylor=mix, agg-seq=l2).")
    Map<String, String> criterionOptions = new LinkedHashMap<>();

    @Option(names = "--taylor", paramLabel = "VARIANT", description = "taylor's default variant: first, vectorize, second or mix (as in prune).")
    String taylor;

    @Option(names = "--group-agg", paramLabel = "AGG", description = "taylor's default aggregation: sum, mean, max, prod or first (as in prune).")
    String groupAgg;

    @Option(names = "--bootstrap", defaultValue = "20", description = "Bootstrap resamples of the calibration windows; 0: none (default: ${DEFAULT-VALUE}).")
    int resamples;

    @Option(names = "--bootstrap-seed", defaultValue = "1", description = "Seed of the bootstrap resampling (default: ${DEFAULT-VALUE}).")
    long bootstrapSeed;

    @Option(names = "--top-k", defaultValue = "0.5", description = "Top-k of the stability check, as a fraction of each row's units (default: ${DEFAULT-VALUE}).")
    double topK;

    @Option(names = "--out", required = true, description = "Output folder (must not exist, unless --force).")
    Path out;

    @Option(names = "--force", description = "Replace the output folder if it exists.")
    boolean force;

    @Option(names = "--report", paramLabel = "DIR", description = "Also write report.html (head-importance heatmaps, rank-correlation matrices, layer scores), report.json and CSV tables into DIR.")
    Path reportDir;

    /** Where a bootstrap re-run's own progress goes: nowhere (the resample count is reported instead). */
    private static final java.io.PrintStream QUIET = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());

    /** One criterion as asked for: its label on the command line, the criterion, its options. */
    record Method(String label, StructuredCriterion criterion, Map<String, String> options) {}

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        if (batch < 1) throw usage("--batch must be >= 1, got " + batch);
        if (resamples < 0) throw usage("--bootstrap must be >= 0, got " + resamples);
        if (!(topK > 0 && topK <= 1)) throw usage("--top-k must be a fraction in (0, 1], got " + topK);
        if (!force && Files.exists(out)) throw new IOException(out + ": output folder already exists (choose another path or add --force)");
        List<Method> ms = parseMethods();
        Set<UnitKind> asked = parseKinds();
        boolean needData = ms.stream().anyMatch(m -> m.criterion().needsCalibration());
        if (needData && calib == null) throw usage("criteria " + ms.stream().filter(m -> m.criterion().needsCalibration()).map(Method::label).toList() + " need --calib FILE");
        CalibrationData.Sampling how;
        try {
            how = CalibrationData.Sampling.parse(sampling);
        } catch (PruningException e) {
            throw usage(e.getMessage());
        }

        Kernels k = device.kernels();
        ModelConfig cfg = ModelConfig.read(model);
        LlamaModel m = LlamaModel.load(model, k);
        int[][] windows = null;
        String calibLine = "none";
        if (calib != null) {
            Tokenizer tok = CalibrationData.isTokenFile(calib) ? null : Tokenizers.load(model);
            int[] ids = CalibrationData.tokens(calib, tok, docSeparator, cfg.vocabSize());
            windows = CalibrationData.windows(ids, samples, seqLen, how, seed, calib.toString());
            calibLine = windows.length + " windows x " + seqLen + " tokens of " + calib.getFileName() + " (" + how.name().toLowerCase(Locale.ROOT) + ")";
        }
        common.log().println("prune4j scores: " + ms.stream().map(Method::label).toList() + " on " + model + "; calibration: " + calibLine);

        // the scores on all windows
        Map<String, Map<UnitKind, UnitScores>> scores = new LinkedHashMap<>();
        Map<String, Double> seconds = new LinkedHashMap<>();
        for (Method me : ms) {
            long s0 = System.nanoTime();
            Set<UnitKind> ks = kindsOf(me, asked);
            if (ks.isEmpty()) continue;
            scores.put(me.label(), me.criterion().score(input(m, windows, me, common.log()), ks));
            seconds.put(me.label(), (System.nanoTime() - s0) / 1e9);
            common.log().printf("%s: scored %s in %.2f s%n", me.label(), ks, seconds.get(me.label()));
        }

        // bootstrap: every calibrated criterion again on resampled windows
        Map<String, Map<UnitKind, Bootstrap.Stability>> stability = new LinkedHashMap<>();
        if (resamples > 0 && windows != null) {
            int[][] rs = Bootstrap.resamples(windows.length, resamples, bootstrapSeed);
            Progress p = Progress.lines(common.log());
            for (Method me : ms) {
                if (!me.criterion().needsCalibration() || !scores.containsKey(me.label())) continue;
                Map<UnitKind, List<UnitScores>> per = new EnumMap<>(UnitKind.class);
                for (int r = 0; r < resamples; r++) {
                    Map<UnitKind, UnitScores> s = me.criterion().score(input(m, Bootstrap.pick(windows, rs[r]), me, QUIET), scores.get(me.label()).keySet());
                    s.forEach((kind, u) -> per.computeIfAbsent(kind, x -> new ArrayList<>()).add(u));
                    p.update("bootstrap " + me.label(), r + 1, resamples, "resamples");
                }
                Map<UnitKind, Bootstrap.Stability> st = new EnumMap<>(UnitKind.class);
                per.forEach((kind, list) -> st.put(kind, Bootstrap.topK(scores.get(me.label()).get(kind), list, topK)));
                stability.put(me.label(), st);
            }
        }

        List<Map<String, Object>> corr = correlations(scores);
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("model", model.toString());
        stats.put("calibration", calibLine);
        stats.put("correlations", corr);
        stats.put("stability", stabilityJson(stability));
        stats.put("bootstrap", Map.of("resamples", resamples, "seed", bootstrapSeed, "top_k_fraction", topK));
        AtomicFiles.buildFolder(out, force, dir -> {
            Files.writeString(dir.resolve("scores.json"), Json.write(scoresJson(scores)) + "\n", StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("scores.csv"), csv(scores), StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("stats.json"), Json.write(stats) + "\n", StandardCharsets.UTF_8);
        });

        Map<String, Object> json = new LinkedHashMap<>(stats);
        json.put("out", out.toString());
        json.put("seconds_per_method", seconds);
        json.put("seconds", (System.nanoTime() - t0) / 1e9);
        if (reportDir != null) {
            new org.prune4j.cli.report.ScoresReport(model.toString(), calibLine, scores, corr, stabilityJson(stability)).page().write(reportDir, json);
            common.log().println("prune4j scores: report in " + reportDir.resolve("report.html"));
        }
        common.emit(text(scores, corr, stability), json);
        return 0;
    }

    private ScoringInput input(LlamaModel m, int[][] windows, Method me, java.io.PrintStream log) {
        Map<String, String> o = new LinkedHashMap<>(criterionOptions);
        if (taylor != null) o.putIfAbsent("taylor", taylor);
        if (groupAgg != null) o.putIfAbsent("group-agg", groupAgg);
        o.putAll(me.options());
        return new ScoringInput(m, windows, batch, null, null, seed, o, log);
    }

    private List<Method> parseMethods() {
        List<String> names = methods == null || methods.isEmpty() ? StructuredCriteria.names() : methods;
        List<Method> out = new ArrayList<>();
        for (String spec : names) {
            String[] parts = spec.trim().split("@");
            Map<String, String> opts = new LinkedHashMap<>();
            for (int i = 1; i < parts.length; i++) {
                int eq = parts[i].indexOf('=');
                if (eq <= 0) throw usage("--methods: option '" + parts[i] + "' of '" + spec + "' must be KEY=VALUE");
                opts.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
            }
            StructuredCriterion c;
            try {
                c = StructuredCriteria.get(parts[0]);
            } catch (PruningException e) {
                throw usage("--methods: " + e.getMessage());
            }
            if (out.stream().anyMatch(x -> x.label().equals(spec.trim()))) throw usage("--methods lists '" + spec + "' twice");
            out.add(new Method(spec.trim(), c, opts));
        }
        return out;
    }

    private Set<UnitKind> parseKinds() {
        if (kinds == null || kinds.isEmpty()) return EnumSet.allOf(UnitKind.class);
        Set<UnitKind> s = EnumSet.noneOf(UnitKind.class);
        for (String k : kinds) {
            try {
                s.add(UnitKind.valueOf(k.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw usage("--kinds: '" + k + "' is not one of head, kv_group, neuron, channel, layer");
            }
        }
        return s;
    }

    private static Set<UnitKind> kindsOf(Method m, Set<UnitKind> asked) {
        Set<UnitKind> s = EnumSet.noneOf(UnitKind.class);
        for (UnitKind k : m.criterion().kinds()) if (asked.contains(k)) s.add(k);
        return s;
    }

    /** Spearman and Kendall per unit kind and pair of criteria: over all units, and Spearman's mean over layers. */
    static List<Map<String, Object>> correlations(Map<String, Map<UnitKind, UnitScores>> scores) {
        List<Map<String, Object>> out = new ArrayList<>();
        List<String> labels = new ArrayList<>(scores.keySet());
        for (UnitKind kind : UnitKind.values())
            for (int i = 0; i < labels.size(); i++)
                for (int j = i + 1; j < labels.size(); j++) {
                    UnitScores a = scores.get(labels.get(i)).get(kind), b = scores.get(labels.get(j)).get(kind);
                    if (a == null || b == null) continue;
                    double[] fa = flat(a), fb = flat(b);
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("kind", kind.name().toLowerCase(Locale.ROOT));
                    c.put("a", labels.get(i));
                    c.put("b", labels.get(j));
                    c.put("units", fa.length);
                    c.put("spearman", finiteOrNull(RankStats.spearman(fa, fb)));
                    c.put("kendall_tau_b", finiteOrNull(RankStats.kendallTauB(fa, fb)));
                    if (kind.perLayer()) {
                        double sum = 0;
                        int n = 0;
                        for (int l = 0; l < a.rows(); l++) {
                            double r = RankStats.spearman(a.row(l), b.row(l));
                            if (Double.isFinite(r)) {
                                sum += r;
                                n++;
                            }
                        }
                        c.put("spearman_mean_over_layers", n == 0 ? null : sum / n);
                    }
                    out.add(c);
                }
        return out;
    }

    private static Double finiteOrNull(double v) { return Double.isFinite(v) ? v : null; }

    private static double[] flat(UnitScores s) {
        int n = 0;
        for (int l = 0; l < s.rows(); l++) n += s.row(l).length;
        double[] f = new double[n];
        int o = 0;
        for (int l = 0; l < s.rows(); l++) {
            double[] r = s.row(l);
            System.arraycopy(r, 0, f, o, r.length);
            o += r.length;
        }
        return f;
    }

    private static Map<String, Object> scoresJson(Map<String, Map<UnitKind, UnitScores>> scores) {
        Map<String, Object> j = new LinkedHashMap<>();
        scores.forEach((label, byKind) -> {
            Map<String, Object> k = new LinkedHashMap<>();
            byKind.forEach((kind, s) -> {
                List<Object> rows = new ArrayList<>();
                for (int l = 0; l < s.rows(); l++) {
                    List<Double> r = new ArrayList<>();
                    for (double v : s.row(l)) r.add(v);
                    rows.add(r);
                }
                k.put(kind.name().toLowerCase(Locale.ROOT), rows);
            });
            j.put(label, k);
        });
        return Map.of("format", "prune4j scores: criterion -> kind -> rows (one per layer; one row for channel and layer) -> units", "scores", j);
    }

    /** Long format: criterion,kind,row,unit,score (row = layer for head/kv_group/neuron, 0 for channel and layer). */
    private static String csv(Map<String, Map<UnitKind, UnitScores>> scores) {
        StringBuilder b = new StringBuilder("criterion,kind,row,unit,score\n");
        scores.forEach((label, byKind) -> byKind.forEach((kind, s) -> {
            for (int l = 0; l < s.rows(); l++) {
                double[] r = s.row(l);
                for (int u = 0; u < r.length; u++)
                    b.append('"').append(label.replace("\"", "\"\"")).append("\",").append(kind.name().toLowerCase(Locale.ROOT)).append(',')
                            .append(l).append(',').append(u).append(',').append(r[u]).append('\n');
            }
        }));
        return b.toString();
    }

    private static List<Object> stabilityJson(Map<String, Map<UnitKind, Bootstrap.Stability>> st) {
        List<Object> out = new ArrayList<>();
        st.forEach((label, byKind) -> byKind.forEach((kind, s) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("criterion", label);
            m.put("kind", kind.name().toLowerCase(Locale.ROOT));
            m.put("k", s.k());
            m.put("pairwise_overlap", s.pairwise());
            m.put("overlap_with_all_windows", s.vsFull());
            m.put("resamples", s.resamples());
            out.add(m);
        }));
        return out;
    }

    private String text(Map<String, Map<UnitKind, UnitScores>> scores, List<Map<String, Object>> corr, Map<String, Map<UnitKind, Bootstrap.Stability>> st) {
        StringBuilder b = new StringBuilder();
        b.append("rank correlations between criteria (all units of a kind; Spearman's mean over layers for per-layer kinds)\n");
        b.append(String.format(Locale.ROOT, "%-9s %-28s %-28s %6s %9s %9s %9s%n", "kind", "a", "b", "units", "spearman", "kendall", "sp/layer"));
        for (Map<String, Object> c : corr)
            b.append(String.format(Locale.ROOT, "%-9s %-28s %-28s %6d %9s %9s %9s%n", c.get("kind"), c.get("a"), c.get("b"), (Integer) c.get("units"),
                    fmt(c.get("spearman")), fmt(c.get("kendall_tau_b")), fmt(c.get("spearman_mean_over_layers"))));
        if (corr.isEmpty()) b.append("(fewer than two criteria score a common unit kind)\n");
        if (!st.isEmpty()) {
            b.append(String.format(Locale.ROOT, "%ntop-k stability over %d bootstrap resamples of the calibration windows (seed %d, k = %.0f%% of each row)%n",
                    resamples, bootstrapSeed, 100 * topK));
            b.append(String.format(Locale.ROOT, "%-28s %-9s %4s %9s %9s%n", "criterion", "kind", "k", "pairwise", "vs all"));
            st.forEach((label, byKind) -> byKind.forEach((kind, s) -> b.append(String.format(Locale.ROOT, "%-28s %-9s %4d %9.3f %9.3f%n",
                    label, kind.name().toLowerCase(Locale.ROOT), s.k(), s.pairwise(), s.vsFull()))));
        }
        b.append("wrote ").append(out).append(" (scores.json, scores.csv, stats.json)");
        return b.toString();
    }

    private static String fmt(Object v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.3f", (Double) v);
    }

    private UsageException usage(String msg) {
        return new UsageException(spec.commandLine(), msg);
    }
}
