package org.prune4j.api.compress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.prune4j.api.ProgressListener;
import org.prune4j.api.Prune4jException;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.data.Windows;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.calibration.CalibrationData;
import org.prune4j.pruning.structured.Fingerprint;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.pruning.structured.RandomUnits;
import org.prune4j.pruning.structured.ScoringInput;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;
import org.prune4j.pruning.structured.search.Candidates;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;

/**
 * Minitron's whole recipe for a parameter budget ({@code compress}): score the dense model once, enumerate uniform
 * candidates, rank them by a short distillation ({@link CandidateStep} each), distill the best fully, optionally
 * train baselines at the same budget, and write the model and its report atomically. Resumable: the work folder
 * keeps the dense scores, one row per finished candidate and the checkpoint of the run in progress.
 */
public final class Compress {
    private Compress() {}

    /** What a run gave; {@code summary} is {@code compress.json} (and the command's --json object). */
    public record Result(Map<String, Object> summary, Candidates.Enumeration enumeration, List<Candidates.Candidate> searched, List<Map<String, Object>> rows,
                         int best, double teacherPpl, double finalPpl, Map<String, Map<String, Object>> baselines, int resumedCandidates, double seconds) {
        /** The chosen candidate. */
        public Candidates.Candidate bestCandidate() { return searched.get(best); }
    }

    /** Runs {@code o}, computing with {@code k}, reporting to {@code l}; option errors are {@link Prune4jException.InvalidOptions} and leave no files. */
    public static Result run(CompressOptions o, Kernels k, ProgressListener l) {
        try {
            return doRun(o, k, l);
        } catch (UncheckedIOException e) {
            throw wrap(e.getCause());
        } catch (IOException | RuntimeException e) {
            throw wrap(e);
        }
    }

    /** The budget's enumeration for {@code o} on the model's config; a budget out of reach names the reachable range. */
    public static Candidates.Enumeration enumerate(CompressOptions o, ModelConfig cfg) {
        try {
            long dense = Candidates.params(cfg, cfg.hiddenSize(), cfg.intermediateSize(0), cfg.numHeads(0), cfg.numLayers());
            return Candidates.enumerate(cfg, Candidates.budget(o.params(), dense), o.space());
        } catch (StructuredException e) {
            throw new Prune4jException.InvalidOptions(e.getMessage());
        }
    }

    private static Result doRun(CompressOptions o, Kernels k, ProgressListener l) throws IOException {
        if (Files.exists(o.out()) && !o.force()) throw new Prune4jException.InvalidOptions(o.out() + " already exists (use --force to replace it)");
        long t0 = System.nanoTime();
        ModelConfig cfg = ModelConfig.read(o.model());
        Candidates.Enumeration en = enumerate(o, cfg);
        List<Candidates.Candidate> kept = en.kept(o.candidates());
        l.message(String.format(Locale.ROOT, "budget %,d of %,d parameters; %d grid points, %d within %s, searching the %d largest", en.budget(), en.denseParams(),
                en.grid().size(), en.fitting().size(), o.tolerance(), kept.size()));
        for (Path p : new Path[] {o.calib(), o.data(), o.eval()}) if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString());

        try (SafeTensors st = SafeTensors.open(o.model())) {
            TensorSource src = TensorSource.of(st);
            String fp = Fingerprint.of(src);
            Path wd = o.workDir();
            Files.createDirectories(wd);
            String runKey = runKey(o, fp, kept);
            Path keyFile = wd.resolve("run.json");
            if (Files.exists(keyFile)) {
                if (!Files.readString(keyFile).equals(runKey))
                    throw new Prune4jException.InvalidOptions("--work " + wd + " holds another run's results (other model, data or options); remove it or give another --work");
            } else AtomicFiles.writeString(keyFile, runKey);

            Tokenizer[] tok = {null};
            int[] calibIds = tokens(o.calib(), o, cfg, tok), dataIds = o.data().equals(o.calib()) ? calibIds : tokens(o.data(), o, cfg, tok),
                    evalIds = tokens(o.eval(), o, cfg, tok);
            int[][] calibW = Windows.first(calibIds, Math.min(o.calibSamples(), Math.max(1, calibIds.length / o.seqLen())), o.seqLen(), o.calib().toString());
            int[][] evalW = Windows.first(evalIds, Math.min(o.evalWindows(), Math.max(1, evalIds.length / o.seqLen())), o.seqLen(), o.eval().toString());
            CandidateStep.Data data = new CandidateStep.Data(dataIds, o.data().toString(), evalW);

            Teacher t = new Teacher(o.model(), cfg, src, LlamaModel.load(st, cfg, k), k, fp);
            double teacherPpl = Perplexity.evaluate(t.model(), evalW, o.batch(), null).ppl();
            l.message(String.format(Locale.ROOT, "teacher eval ppl %.3f", teacherPpl));
            Map<UnitKind, UnitScores> scores = DenseScores.loadOrScore(wd, DenseScores.key(fp, o.calib(), calibW.length, o.seqLen(), o.docSeparator(), o.batch(), o.seed()),
                    t, calibW, o.batch(), o.seed(), l);

            // ---- search: one short distillation per candidate, each result kept atomically in the work folder
            CandidateStep.Recipe search = recipe(o, o.searchSteps());
            List<Map<String, Object>> rows = new ArrayList<>();
            long searchT0 = System.nanoTime();
            int fresh = 0, resumed = 0;
            for (int i = 0; i < kept.size(); i++) {
                Candidates.Candidate cand = kept.get(i);
                String what = "candidate " + (i + 1) + "/" + kept.size(), stem = "candidate-" + i;
                Path res = wd.resolve(stem + ".json");
                if (Files.exists(res)) {
                    rows.add(Json.parseObject(Files.readString(res), false));
                    CandidateStep.clean(wd, stem, false); // a kill between the row and the clean-up leaves its checkpoint
                    resumed++;
                    l.message(String.format(Locale.ROOT, "%s (%s) done earlier, kept from %s", what, cand.describe(), res));
                    continue;
                }
                Plan plan = Planner.plan(cfg, fp, cand.targets(cfg), scores, DenseScores.CRITERION, Planner.Options.DEFAULT);
                CandidateStep.Trained r = CandidateStep.run(t, plan, search, data, wd, stem, what, l);
                Map<String, Object> m = CompressReport.row(i, cand);
                m.put("ppl_pruned", r.pplPruned());
                m.put("ppl_searched", r.pplAfter());
                m.put("seconds", r.seconds());
                m.put("resumed_at_step", (long) r.resumedAt());
                m.put("losses", new ArrayList<Object>(r.losses()));
                AtomicFiles.writeString(res, Json.write(m));
                CandidateStep.clean(wd, stem, false);
                rows.add(m);
                fresh++;
                double el = (System.nanoTime() - searchT0) / 1e9;
                l.message(String.format(Locale.ROOT, "%s (%s): ppl %.3f after pruning, %.3f after %d steps, %.1f s; ETA search %s", what, cand.describe(),
                        r.pplPruned(), r.pplAfter(), o.searchSteps(), r.seconds(), CandidateStep.clock(el / fresh * (kept.size() - i - 1))));
                l.progress("search", i + 1, kept.size());
            }
            int best = 0;
            for (int i = 1; i < rows.size(); i++) if (CompressReport.num(rows.get(i), "ppl_searched") < CompressReport.num(rows.get(best), "ppl_searched")) best = i;
            Candidates.Candidate win = kept.get(best);
            l.message(String.format(Locale.ROOT, "best candidate %d (%s); final distillation of %d steps", best + 1, win.describe(), o.finalSteps()));

            // ---- final: the best candidate pruned again from the shared scores and distilled for --final-steps
            Plan plan = Planner.plan(cfg, fp, win.targets(cfg), scores, DenseScores.CRITERION, Planner.Options.DEFAULT);
            CandidateStep.Trained fin = CandidateStep.run(t, plan, recipe(o, o.finalSteps()), data, wd, "final", "final", l);

            // ---- baselines at the same budget, with the final run's steps
            Map<String, Map<String, Object>> baselines = new LinkedHashMap<>();
            for (CompressOptions.Baseline b : CompressOptions.Baseline.values())
                if (o.baselines().contains(b)) baselines.put(b.flag, baseline(b, o, t, en, win, scores, data, wd, l));

            double seconds = (System.nanoTime() - t0) / 1e9;
            double rho = CompressReport.spearman(rows);
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("budget", en.budget());
            summary.put("dense_params", en.denseParams());
            summary.put("smallest_reachable", en.smallest());
            summary.put("largest_reachable", en.largest());
            summary.put("teacher_ppl", teacherPpl);
            summary.put("best", (long) best);
            summary.put("best_params", win.params());
            summary.put("best_shape", win.describe());
            summary.put("best_ppl_pruned", CompressReport.num(rows.get(best), "ppl_pruned"));
            summary.put("best_ppl_searched", CompressReport.num(rows.get(best), "ppl_searched"));
            summary.put("final_ppl", fin.pplAfter());
            summary.put("spearman_pruned_vs_searched", rho);
            summary.put("search_steps", (long) o.searchSteps());
            summary.put("final_steps", (long) o.finalSteps());
            summary.put("candidates_searched", (long) kept.size());
            summary.put("candidates_resumed", (long) resumed);
            List<Object> secs = new ArrayList<>();
            for (Map<String, Object> r : rows) secs.add(r.get("seconds"));
            summary.put("candidate_seconds", secs);
            summary.put("final_seconds", fin.seconds());
            Map<String, Object> bs = new LinkedHashMap<>();
            baselines.forEach((name, r) -> {
                Map<String, Object> c = new LinkedHashMap<>(r);
                c.remove("losses");
                bs.put(name, c);
            });
            summary.put("baselines", bs);
            summary.put("seconds", seconds);
            summary.put("peak_rss_bytes", CompressReport.peakRssBytes());
            summary.put("out", o.out().toString());
            String csv = CompressReport.candidatesCsv(en, kept, rows), json = CompressReport.candidatesJson(en, kept, rows),
                    losses = CompressReport.lossesCsv(rows, fin.losses(), baselines);
            AtomicFiles.buildFolder(o.out(), o.force(), dir -> {
                try (var files = Files.list(fin.model())) {
                    for (Path f : (Iterable<Path>) files::iterator) Files.copy(f, dir.resolve(f.getFileName().toString()));
                }
                CompressReport.write(dir.resolve("compress"), plan, csv, json, losses, summary);
            });
            if (o.report() != null) AtomicFiles.buildFolder(o.report(), true, dir -> CompressReport.write(dir, plan, csv, json, losses, summary));
            CandidateStep.clean(wd, "final", false);
            return new Result(summary, en, kept, rows, best, teacherPpl, fin.pplAfter(), baselines, resumed, seconds);
        }
    }

    /**
     * A baseline's row, from the work folder when an earlier run finished it with the same shape, criterion and steps.
     * random-units: the best shape, units ranked by seeded uniform scores; random-candidate: a seeded pick among every
     * candidate within the tolerance, ranked by the minitron scores.
     */
    private static Map<String, Object> baseline(CompressOptions.Baseline b, CompressOptions o, Teacher t, Candidates.Enumeration en, Candidates.Candidate win,
                                                Map<UnitKind, UnitScores> scores, CandidateStep.Data data, Path wd, ProgressListener l) throws IOException {
        Candidates.Candidate c = b == CompressOptions.Baseline.RANDOM_UNITS ? win : en.fitting().get(new SplittableRandom(o.seed()).nextInt(en.fitting().size()));
        String criterion = b == CompressOptions.Baseline.RANDOM_UNITS ? "random" : DenseScores.CRITERION;
        String stem = "baseline-" + b.flag, what = "baseline " + b.flag;
        Map<String, Object> m = CompressReport.row(-1, c);
        m.remove("index");
        m.put("criterion", criterion);
        m.put("steps", (long) o.finalSteps());
        Path res = wd.resolve(stem + ".json");
        if (Files.exists(res)) {
            Map<String, Object> old = Json.parseObject(Files.readString(res), false);
            boolean same = true;
            for (Map.Entry<String, Object> e : m.entrySet()) same &= e.getValue().equals(old.get(e.getKey()));
            if (same) {
                l.message(what + " (" + c.describe() + ") done earlier, kept from " + res);
                return old;
            }
        }
        Map<UnitKind, UnitScores> s = b == CompressOptions.Baseline.RANDOM_UNITS
                ? new RandomUnits().score(new ScoringInput(t.model(), null, 1, null, null, o.seed(), Map.of(), l.asPrintStream()), DenseScores.KINDS)
                : scores;
        l.message(what + ": " + c.describe() + ", " + criterion + " scores, " + o.finalSteps() + " steps");
        Plan plan = Planner.plan(t.config(), t.fingerprint(), c.targets(t.config()), s, criterion, Planner.Options.DEFAULT);
        CandidateStep.Trained r = CandidateStep.run(t, plan, recipe(o, o.finalSteps()), data, wd, stem, what, l);
        m.put("ppl_pruned", r.pplPruned());
        m.put("ppl_final", r.pplAfter());
        m.put("seconds", r.seconds());
        m.put("losses", new ArrayList<Object>(r.losses()));
        AtomicFiles.writeString(res, Json.write(m));
        CandidateStep.clean(wd, stem, false);
        l.message(String.format(Locale.ROOT, "%s: ppl %.3f after pruning, %.3f after %d steps", what, r.pplPruned(), r.pplAfter(), o.finalSteps()));
        return m;
    }

    private static CandidateStep.Recipe recipe(CompressOptions o, int steps) {
        return new CandidateStep.Recipe(steps, o.lr(), o.batch(), o.seqLen(), o.seed(), o.checkpointEvery(steps));
    }

    /** Everything that decides the search's rows, so a work folder is reused only by the same run. */
    private static String runKey(CompressOptions o, String fingerprint, List<Candidates.Candidate> kept) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", o.model().toAbsolutePath().normalize().toString());
        m.put("model_fingerprint", fingerprint);
        for (Path p : List.of(o.calib(), o.data(), o.eval())) m.put(p.toAbsolutePath().normalize().toString(), Files.size(p));
        m.put("options", String.join(" ", String.valueOf(o.docSeparator()), "" + o.seqLen(), "" + o.batch(), "" + o.calibSamples(), "" + o.evalWindows(),
                "" + o.searchSteps(), "" + o.lr(), "" + o.seed()));
        List<Object> c = new ArrayList<>();
        for (Candidates.Candidate x : kept) c.add(x.describe());
        m.put("candidates", c);
        return Json.write(m);
    }

    /** Text (per document with BOS, the model's tokenizer loaded on first need) or a token file, by extension. */
    private static int[] tokens(Path f, CompressOptions o, ModelConfig cfg, Tokenizer[] tok) throws IOException {
        if (!CalibrationData.isTokenFile(f) && tok[0] == null) tok[0] = Tokenizers.load(o.model());
        int[] ids = CalibrationData.isTokenFile(f) ? TokenData.load(f) : TokenData.fromText(f, tok[0], o.docSeparator(), true);
        try {
            TokenData.checkIds(ids, cfg.vocabSize(), f.toString());
        } catch (IllegalArgumentException e) {
            throw new Prune4jException.BadInput(e.getMessage(), e);
        }
        return ids;
    }

    private static Prune4jException wrap(Exception e) {
        if (e instanceof Prune4jException p) return p;
        if (e instanceof NoSuchFileException n) return new Prune4jException.BadInput(n.getFile() + ": no such file", e);
        if (e instanceof PruningException || e instanceof StructuredException) return new Prune4jException.PruningFailed(e.getMessage(), e);
        return new Prune4jException.BadInput(e.getMessage() == null ? e.toString() : e.getMessage(), e);
    }
}
