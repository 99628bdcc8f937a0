package org.prune4j.cli;

import java.io.IOException;
import java.io.PrintStream;
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
import org.prune4j.distill.Batches;
import org.prune4j.distill.KdObjective;
import org.prune4j.distill.Schedule;
import org.prune4j.distill.TrainLoop;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.data.Windows;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.structured.Aggregation;
import org.prune4j.pruning.structured.Fingerprint;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.PlanJson;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.pruning.structured.ScoringInput;
import org.prune4j.pruning.structured.StructuredCriteria;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.StructuredWriter;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;
import org.prune4j.pruning.structured.search.Candidates;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code compress}: Minitron's whole recipe for a parameter budget — score once (minitron), enumerate uniform
 * candidates, rank them by a short distillation, distill the best fully — resumable per candidate, output atomic.
 */
@Command(name = "compress", mixinStandardHelpOptions = true,
        description = "Minitron's recipe: a parameter budget in; score, enumerate candidates, rank them by short distillation, distill the best; writes a model folder.")
public final class CompressCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;

    @Option(names = "--model", required = true, description = "Dense (teacher) model folder.")
    Path model;
    @Option(names = "--params", required = true, description = "Parameter budget: a fraction of the model (0.6) or a count (150M, 2.5K).")
    String params;
    @Option(names = "--calib", required = true, description = "Calibration text (or token file) for the minitron scores.")
    Path calib;
    @Option(names = "--calib-samples", defaultValue = "32", description = "Calibration windows of --seq-len tokens, the first ones (default ${DEFAULT-VALUE}).")
    int calibSamples;
    @Option(names = "--data", required = true, description = "Distillation text (or token file).")
    Path data;
    @Option(names = "--eval", required = true, description = "Evaluation text (or token file): perplexity before and after each distillation.")
    Path eval;
    @Option(names = "--eval-windows", defaultValue = "64", description = "First W windows of --eval (default ${DEFAULT-VALUE}).")
    int evalWindows;
    @Option(names = "--doc-separator", description = "Split text inputs into documents at this string (each encoded with BOS).")
    String docSeparator;
    @Option(names = "--seq-len", defaultValue = "128", description = "Window length in tokens (default ${DEFAULT-VALUE}).")
    int seqLen;
    @Option(names = "--batch", defaultValue = "8", description = "Windows per micro-batch (default ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--out", required = true, description = "Output model folder (must not exist unless --force); appears only when complete.")
    Path out;
    @Option(names = "--force", description = "Replace an existing output folder.")
    boolean force;
    @Option(names = "--work", description = "Work folder for per-candidate results (resume); default OUT.work.")
    Path work;
    @Option(names = "--report", description = "Also write the report (report.html with plots, candidates.csv/json, plan.json, losses.csv, compress.json) to this folder.")
    Path report;

    @Option(names = "--axes", defaultValue = "width,depth", description = "Axes that may shrink: width, depth or width,depth (default ${DEFAULT-VALUE}).")
    String axes;
    @Option(names = "--width-only", description = "Same as --axes width.")
    boolean widthOnly;
    @Option(names = "--depth-only", description = "Same as --axes depth.")
    boolean depthOnly;
    @Option(names = "--candidates", defaultValue = "8", description = "Candidates kept for the search, the largest that fit (default ${DEFAULT-VALUE}).")
    int candidates;
    @Option(names = "--max-width-prune", defaultValue = "0.4", description = "Largest fraction removed from a width axis (default ${DEFAULT-VALUE}).")
    double maxWidth;
    @Option(names = "--max-depth-prune", defaultValue = "0.2", description = "Largest fraction of layers removed (default ${DEFAULT-VALUE}).")
    double maxDepth;
    @Option(names = "--tolerance", defaultValue = "0.03", description = "Candidates within this fraction of the budget (default ${DEFAULT-VALUE}).")
    double tolerance;
    @Option(names = "--round", defaultValue = "0", description = "Grid step of hidden and intermediate sizes (0: the coarsest of 64, 32, 16, 8 giving 3 sizes; default ${DEFAULT-VALUE}).")
    int round;
    @Option(names = "--search-steps", defaultValue = "100", description = "Distillation steps per candidate in the search (default ${DEFAULT-VALUE}).")
    int searchSteps;
    @Option(names = "--final-steps", defaultValue = "1000", description = "Distillation steps of the best candidate (default ${DEFAULT-VALUE}).")
    int finalSteps;
    @Option(names = "--lr", defaultValue = "1e-4", description = "Peak learning rate, cosine to 0 (default ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--seed", defaultValue = "42", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        var cl = spec.commandLine();
        if (widthOnly && depthOnly) throw new UsageException(cl, "--width-only and --depth-only exclude each other");
        if (candidates < 1 || searchSteps < 1 || finalSteps < 1 || seqLen < 2 || batch < 1 || calibSamples < 1 || evalWindows < 1)
            throw new UsageException(cl, "--candidates, --search-steps, --final-steps, --batch, --calib-samples and --eval-windows must be >= 1, --seq-len >= 2");
        if (Files.exists(out) && !force) throw new UsageException(cl, out + " already exists (use --force to replace it)");
        PrintStream err = common.log();
        ModelConfig cfg = ModelConfig.read(model);
        Candidates.Enumeration en;
        try {
            Candidates.Axes ax = widthOnly ? new Candidates.Axes(true, false) : depthOnly ? new Candidates.Axes(false, true) : Candidates.Axes.parse(axes);
            Candidates.Space space = new Candidates.Space(ax, maxWidth, maxDepth, tolerance, round);
            long dense = Candidates.params(cfg, cfg.hiddenSize(), cfg.intermediateSize(0), cfg.numHeads(0), cfg.numLayers());
            en = Candidates.enumerate(cfg, Candidates.budget(params, dense), space);
        } catch (StructuredException e) {
            throw new UsageException(cl, e.getMessage());
        }
        List<Candidates.Candidate> kept = en.kept(candidates);
        err.printf(Locale.ROOT, "compress: budget %,d of %,d parameters; %d grid points, %d within %s, searching the %d largest%n", en.budget(), en.denseParams(),
                en.grid().size(), en.fitting().size(), tolerance, kept.size());

        Path wd = work != null ? work : out.resolveSibling(out.getFileName() + ".work");
        Files.createDirectories(wd);
        String runKey = runKey(kept);
        Path keyFile = wd.resolve("run.json");
        if (Files.exists(keyFile)) {
            if (!Files.readString(keyFile).equals(runKey))
                throw new UsageException(cl, "--work " + wd + " holds another run's results (other model, data or options); remove it or give another --work");
        } else AtomicFiles.writeString(keyFile, runKey);

        Kernels kk = device.kernels();
        Tokenizer tok = Tokenizers.load(model);
        int[] calibIds = tokens(calib, tok, cfg), dataIds = data.equals(calib) ? calibIds : tokens(data, tok, cfg), evalIds = tokens(eval, tok, cfg);
        int[][] calibW = Windows.first(calibIds, Math.min(calibSamples, Math.max(1, calibIds.length / seqLen)), seqLen, calib.toString());
        int[][] evalW = Windows.first(evalIds, Math.min(evalWindows, Math.max(1, evalIds.length / seqLen)), seqLen, eval.toString());

        long t0 = System.nanoTime();
        try (SafeTensors st = SafeTensors.open(model)) {
            TensorSource src = TensorSource.of(st);
            LlamaModel teacher = LlamaModel.load(st, cfg, kk);
            double teacherPpl = Perplexity.evaluate(teacher, evalW, batch, null).ppl();
            err.printf(Locale.ROOT, "compress: teacher eval ppl %.3f; scoring with minitron on %d windows x %d%n", teacherPpl, calibW.length, seqLen);
            Set<UnitKind> kinds = EnumSet.of(UnitKind.HEAD, UnitKind.NEURON, UnitKind.CHANNEL, UnitKind.LAYER);
            Map<UnitKind, UnitScores> scores = new EnumMap<>(StructuredCriteria.get("minitron").score(
                    new ScoringInput(teacher, calibW, batch, Aggregation.parse("mean", "--agg-seq"), Aggregation.parse("l2", "--agg-batch"), seed, Map.of(), err), kinds));
            String fp = Fingerprint.of(src);

            // ---- search: one short distillation per candidate, each result kept atomically in the work folder
            List<Map<String, Object>> results = new ArrayList<>();
            long searchT0 = System.nanoTime();
            int fresh = 0;
            for (int i = 0; i < kept.size(); i++) {
                Candidates.Candidate cand = kept.get(i);
                Path res = wd.resolve("candidate-" + i + ".json");
                if (Files.exists(res)) {
                    results.add(Json.parseObject(Files.readString(res), false));
                    err.printf(Locale.ROOT, "compress: candidate %d/%d (%s) done earlier, kept from %s%n", i + 1, kept.size(), cand.describe(), res);
                    continue;
                }
                Plan plan = Planner.plan(cfg, fp, cand.targets(cfg), scores, "minitron", Planner.Options.DEFAULT);
                Run r = distill(st, cfg, src, plan, teacher, wd.resolve("candidate-" + i + ".model"), searchSteps, dataIds, evalW, kk, err, "candidate " + (i + 1) + "/" + kept.size());
                Map<String, Object> m = row(i, cand);
                m.put("ppl_pruned", r.pplBefore);
                m.put("ppl_searched", r.pplAfter);
                m.put("seconds", r.seconds);
                m.put("losses", r.losses);
                AtomicFiles.writeString(res, Json.write(m));
                results.add(m);
                fresh++;
                double el = (System.nanoTime() - searchT0) / 1e9;
                err.printf(Locale.ROOT, "compress: candidate %d/%d (%s): ppl %.3f after pruning, %.3f after %d steps; ETA search %s%n", i + 1, kept.size(), cand.describe(),
                        r.pplBefore, r.pplAfter, searchSteps, ProgressLine.clock(el / fresh * (kept.size() - i - 1)));
            }
            int best = 0;
            for (int i = 1; i < results.size(); i++) if (num(results.get(i), "ppl_searched") < num(results.get(best), "ppl_searched")) best = i;
            Candidates.Candidate win = kept.get(best);
            err.printf(Locale.ROOT, "compress: best candidate %d (%s); final distillation of %d steps%n", best + 1, win.describe(), finalSteps);

            // ---- final: the best candidate pruned again from the shared scores and distilled for --final-steps
            Plan plan = Planner.plan(cfg, fp, win.targets(cfg), scores, "minitron", Planner.Options.DEFAULT);
            Run fin = distill(st, cfg, src, plan, teacher, wd.resolve("final.model"), finalSteps, dataIds, evalW, kk, err, "final");
            double seconds = (System.nanoTime() - t0) / 1e9;

            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("budget", en.budget());
            summary.put("dense_params", en.denseParams());
            summary.put("smallest_reachable", en.smallest());
            summary.put("largest_reachable", en.largest());
            summary.put("teacher_ppl", teacherPpl);
            summary.put("best", (long) best);
            summary.put("best_params", win.params());
            summary.put("best_ppl_pruned", num(results.get(best), "ppl_pruned"));
            summary.put("best_ppl_searched", num(results.get(best), "ppl_searched"));
            summary.put("final_ppl", fin.pplAfter);
            summary.put("spearman_pruned_vs_searched", spearman(results));
            summary.put("search_steps", (long) searchSteps);
            summary.put("final_steps", (long) finalSteps);
            summary.put("seconds", seconds);
            summary.put("peak_rss_bytes", PeakMemory.peakRssBytes());
            summary.put("out", out.toString());
            String csv = candidatesCsv(cfg, en, kept, results), json = candidatesJson(cfg, en, kept, results), losses = lossesCsv(results, fin);
            AtomicFiles.buildFolder(out, force, dir -> {
                Files.copy(fin.dir.resolve(ModelConfig.FILE), dir.resolve(ModelConfig.FILE));
                Files.copy(fin.dir.resolve("model.safetensors"), dir.resolve("model.safetensors"));
                TokenizerFiles.copy(model, dir);
                writeReport(dir.resolve("compress"), plan, csv, json, losses, summary);
            });
            if (report != null) AtomicFiles.buildFolder(report, true, dir -> writeReport(dir, plan, csv, json, losses, summary));
            AtomicFiles.deleteTree(fin.dir);
            common.emit(String.format(Locale.ROOT, "compressed %s to %,d parameters (%s): teacher ppl %.3f, best after pruning %.3f, after search %.3f, after final %.3f; "
                            + "Spearman(step 0, searched) %.3f; %.1f s; wrote %s", model, win.params(), win.describe(), teacherPpl, num(results.get(best), "ppl_pruned"),
                    num(results.get(best), "ppl_searched"), fin.pplAfter, (Double) summary.get("spearman_pruned_vs_searched"), seconds, out), summary);
        }
        return 0;
    }

    /** What one distillation gave: perplexity before and after, loss per step, seconds, the folder of the trained model. */
    private record Run(double pplBefore, double pplAfter, List<Object> losses, double seconds, Path dir) {}

    /** Prunes by {@code plan} into {@code dir}, distills it from the teacher for {@code steps}, evaluates before and after; the trained model replaces dir's. */
    private Run distill(SafeTensors st, ModelConfig cfg, TensorSource src, Plan plan, LlamaModel teacher, Path dir, int steps, int[] dataIds, int[][] evalW,
                        Kernels kk, PrintStream err, String what) throws IOException {
        long t0 = System.nanoTime();
        StructuredWriter.write(model, cfg, src, plan, dir, true, Map.of("pruned_by", "prune4j compress"), null);
        LlamaModel s = LlamaModel.load(dir, kk);
        double before = Perplexity.evaluate(s, evalW, batch, null).ppl();
        KdObjective obj = new KdObjective(teacher, s, new KdObjective.Config(KdObjective.LogitLoss.KL, 1f, 1.0, KdObjective.HiddenLoss.NONE, 0, null), seed);
        Batches b = new Batches(dataIds, batch, seqLen, Batches.Sampling.FIRST, seed, data.toString());
        TrainLoop.Settings set = new TrainLoop.Settings(steps, lr, 0, Schedule.COSINE, 0, Math.max(1, steps / 5), 0, false, 0.9, 0.999, 1e-8, 1, 1.0, seed);
        TrainLoop loop = new TrainLoop(s.parameters(), obj, b, set, null, s.kernels(), "compress " + what);
        loop.onMicroBatch(obj::microBatch);
        List<Object> losses = new ArrayList<>();
        long tl = System.nanoTime();
        loop.run(x -> {
            losses.add(x.loss());
            if (x.step() % Math.max(1, steps / 10) == 0 || x.step() == steps) {
                double el = (System.nanoTime() - tl) / 1e9;
                err.printf(Locale.ROOT, "compress: %s step %d/%d loss %.4f, ETA %s%n", what, x.step(), steps, x.loss(), ProgressLine.clock(el / x.step() * (steps - x.step())));
            }
        }, null, 0);
        double after = Perplexity.evaluate(s, evalW, batch, null).ppl();
        s.setTrainable(false);
        ModelConfig sc = s.config();
        AtomicFiles.buildFolder(dir, true, d -> {
            sc.write(d.resolve(ModelConfig.FILE));
            SafeTensorsWriter.write(d.resolve("model.safetensors"), s.namedTensors(), Map.of());
        });
        double secs = (System.nanoTime() - t0) / 1e9;
        if (!what.equals("final")) AtomicFiles.deleteTree(dir);
        return new Run(before, after, losses, secs, dir);
    }

    private static void writeReport(Path dir, Plan plan, String csv, String json, String losses, Map<String, Object> summary) throws IOException {
        Files.createDirectories(dir);
        PlanJson.write(plan, dir.resolve("plan.json"));
        Files.writeString(dir.resolve("candidates.csv"), csv);
        Files.writeString(dir.resolve("candidates.json"), json);
        Files.writeString(dir.resolve("losses.csv"), losses);
        Files.writeString(dir.resolve("compress.json"), Json.writePretty(summary, 2));
        org.prune4j.cli.report.CompressReport.write(dir);
    }

    /** Everything that decides the search's results, so a work folder is reused only by the same run. */
    private String runKey(List<Candidates.Candidate> kept) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model.toAbsolutePath().normalize().toString());
        for (Path p : List.of(calib, data, eval)) m.put(p.toAbsolutePath().normalize().toString(), (long) Files.size(p));
        m.put("options", String.join(" ", String.valueOf(docSeparator), "" + seqLen, "" + batch, "" + calibSamples, "" + evalWindows, "" + searchSteps, "" + lr, "" + seed));
        List<Object> c = new ArrayList<>();
        for (Candidates.Candidate k : kept) c.add(k.describe());
        m.put("candidates", c);
        return Json.write(m);
    }

    private static Map<String, Object> row(int i, Candidates.Candidate c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", (long) i);
        m.put("hidden_size", (long) c.hiddenSize());
        m.put("intermediate_size", (long) c.intermediateSize());
        m.put("num_attention_heads", (long) c.numHeads());
        m.put("num_hidden_layers", (long) c.numLayers());
        m.put("params", c.params());
        return m;
    }

    private static double num(Map<String, Object> m, String k) { return ((Number) m.get(k)).doubleValue(); }

    /** Spearman's rho between the step-0 and after-search perplexity rankings (average ranks for ties); NaN under 2 candidates. */
    static double spearman(List<Map<String, Object>> rs) {
        int n = rs.size();
        if (n < 2) return Double.NaN;
        double[] a = new double[n], b = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = num(rs.get(i), "ppl_pruned");
            b[i] = num(rs.get(i), "ppl_searched");
        }
        double[] ra = ranks(a), rb = ranks(b);
        double ma = (n + 1) / 2.0, sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++) {
            sab += (ra[i] - ma) * (rb[i] - ma);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - ma) * (rb[i] - ma);
        }
        return saa == 0 || sbb == 0 ? Double.NaN : sab / Math.sqrt(saa * sbb);
    }

    private static double[] ranks(double[] v) {
        int n = v.length;
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            int less = 0, eq = 0;
            for (double x : v) if (x < v[i]) less++; else if (x == v[i]) eq++;
            r[i] = less + (eq + 1) / 2.0;
        }
        return r;
    }

    private String candidatesCsv(ModelConfig cfg, Candidates.Enumeration en, List<Candidates.Candidate> kept, List<Map<String, Object>> results) {
        StringBuilder sb = new StringBuilder("hidden_size,intermediate_size,num_attention_heads,num_hidden_layers,params,fraction,within_tolerance,kept,ppl_pruned,ppl_searched\n");
        for (Candidates.Candidate c : en.grid()) {
            int k = kept.indexOf(c);
            sb.append(String.format(Locale.ROOT, "%d,%d,%d,%d,%d,%.4f,%b,%b,%s,%s%n", c.hiddenSize(), c.intermediateSize(), c.numHeads(), c.numLayers(), c.params(),
                    (double) c.params() / en.denseParams(), en.fitting().contains(c), k >= 0, k >= 0 ? results.get(k).get("ppl_pruned") : "", k >= 0 ? results.get(k).get("ppl_searched") : ""));
        }
        return sb.toString();
    }

    private String candidatesJson(ModelConfig cfg, Candidates.Enumeration en, List<Candidates.Candidate> kept, List<Map<String, Object>> results) {
        List<Object> all = new ArrayList<>();
        for (Candidates.Candidate c : en.grid()) {
            int k = kept.indexOf(c);
            Map<String, Object> m = k >= 0 ? new LinkedHashMap<>(results.get(k)) : row(-1, c);
            m.remove("losses");
            m.remove("seconds");
            m.put("within_tolerance", en.fitting().contains(c));
            m.put("kept", k >= 0);
            all.add(m);
        }
        return Json.writePretty(all, 2);
    }

    private String lossesCsv(List<Map<String, Object>> results, Run fin) {
        StringBuilder sb = new StringBuilder("run,step,loss\n");
        for (Map<String, Object> r : results) {
            List<?> l = (List<?>) r.get("losses");
            for (int i = 0; i < l.size(); i++) sb.append("candidate-").append(r.get("index")).append(',').append(i + 1).append(',').append(l.get(i)).append('\n');
        }
        for (int i = 0; i < fin.losses.size(); i++) sb.append("final,").append(i + 1).append(',').append(fin.losses.get(i)).append('\n');
        return sb.toString();
    }

    /** Text (encoded per document with BOS) or a token file, by extension, as distill reads it. */
    private int[] tokens(Path f, Tokenizer tok, ModelConfig cfg) throws IOException {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        int[] ids = n.endsWith(".json") || n.endsWith(".bin") ? TokenData.load(f) : TokenData.fromText(f, tok, docSeparator, true);
        TokenData.checkIds(ids, cfg.vocabSize(), f.toString());
        return ids;
    }
}
