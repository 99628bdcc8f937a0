package org.prune4j.api;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.prune4j.distill.Batches;
import org.prune4j.distill.KdObjective;
import org.prune4j.distill.Lora;
import org.prune4j.distill.Schedule;
import org.prune4j.distill.SparsityMasks;
import org.prune4j.distill.TeacherCache;
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
import org.prune4j.pruning.structured.SourceLayers;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;

/**
 * Knowledge distillation ({@code distill}): retrains a (pruned) student from its teacher (logit KL, hidden states,
 * CE; full weights or LoRA; sparse students keep their zeros) and writes it as a Hugging Face folder that appears
 * only when training is complete. Resumable from its checkpoints.
 *
 * <p>Progress: {@code progress("distill", step, steps)} and one {@code message} per step ("distill: step 3/100 loss
 * ... ETA ..."), {@code progress("teacher cache", windows, total)} while an offline cache is built.
 */
public final class Distill {
    private Distill() {}

    /**
     * What a run did.
     *
     * @param firstLoss the loss of this run's first step (NaN when no step ran)
     * @param finalLoss the loss of its last step
     * @param steps optimizer steps done in all (a resumed run counts the earlier ones)
     * @param tokens tokens trained on in all
     * @param seconds seconds of training in this run
     * @param evalPplBefore perplexity on {@code --eval} before training, or null (no {@code --eval}, or resumed)
     * @param evalPpl perplexity on {@code --eval} after training, or null
     * @param out the folder written
     * @param layerMap the teacher layer of each student layer for the hidden loss, or null without one
     * @param stepLines this run's steps, as the {@code --log} lines (step, loss, lr, parts, eval_ppl)
     */
    public record Result(double firstLoss, double finalLoss, int steps, long tokens, double seconds, Double evalPplBefore, Double evalPpl, Path out,
                         int[] layerMap, List<Map<String, Object>> stepLines) {}

    /**
     * Runs {@code o}, both models computing with {@code k}.
     *
     * @param o the options
     * @param k the kernels the teacher and the student compute with
     * @param listener where progress and log lines go
     * @return the losses, steps and perplexities
     * @throws Prune4jException.InvalidOptions a flag's rule is broken (nothing is written)
     * @throws Prune4jException.BadInput a model, tokenizer or data file cannot be used
     * @throws Prune4jException.TrainingFailed the loss became NaN or infinite (no output written)
     */
    public static Result run(DistillOptions o, Kernels k, ProgressListener listener) {
        try {
            return distill(o, k, listener);
        } catch (TrainLoop.NonFiniteLossException e) {
            throw new Prune4jException.TrainingFailed(e.getMessage() + (o.checkpointDir() != null ? "; the last good checkpoint is in " + o.checkpointDir() : "")
                    + "; no output written", e);
        } catch (IOException | RuntimeException e) {
            throw Prune4jException.wrap(e);
        }
    }

    private static Result distill(DistillOptions o, Kernels k, ProgressListener listener) throws IOException {
        KdObjective.LogitLoss logitLoss = switch (o.loss().toLowerCase(Locale.ROOT)) {
            case "kl" -> KdObjective.LogitLoss.KL;
            case "reverse-kl" -> KdObjective.LogitLoss.REVERSE_KL;
            case "ce" -> KdObjective.LogitLoss.CE;
            default -> throw invalid("--loss must be kl, reverse-kl or ce, got '" + o.loss() + "'");
        };
        KdObjective.HiddenLoss hidden = switch (o.hiddenLoss().toLowerCase(Locale.ROOT)) {
            case "none" -> KdObjective.HiddenLoss.NONE;
            case "cosine" -> KdObjective.HiddenLoss.COSINE;
            case "mse" -> KdObjective.HiddenLoss.MSE;
            default -> throw invalid("--hidden-loss must be none, cosine or mse, got '" + o.hiddenLoss() + "'");
        };
        boolean needsTeacher = logitLoss != KdObjective.LogitLoss.CE || hidden != KdObjective.HiddenLoss.NONE;
        if (needsTeacher && o.teacher() == null) throw invalid("--teacher is required unless --loss ce without a hidden loss");
        if (Files.exists(o.out()) && !o.force()) throw invalid(o.out() + " already exists (use --force to replace it)");
        if (o.checkpointEvery() < 0 || o.evalEvery() < 0 || o.evalWindows() < 1) throw invalid("--checkpoint-every and --eval-every must be >= 0, --eval-windows >= 1");
        TrainLoop.Settings settings;
        Batches.Sampling how;
        try {
            how = Batches.Sampling.parse(o.dataSampling());
            Schedule sched = Schedule.parse(o.schedule());
            settings = new TrainLoop.Settings(o.steps(), o.lr(), o.minLr(), sched, o.warmup(), o.decaySteps() != null ? o.decaySteps() : Math.max(1, o.steps() / 5),
                    o.weightDecay(), o.decayNorms(), o.beta1(), o.beta2(), o.eps(), o.gradAccum(), o.clip(), o.seed());
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
        PrintStream err = listener.asPrintStream();

        // models: the teacher only runs inference; the student trains
        LlamaModel s = LlamaModel.load(o.student(), k);
        LlamaModel t = null;
        if (needsTeacher) {
            t = LlamaModel.load(o.teacher(), k);
            if (t.config().vocabSize() != s.config().vocabSize())
                throw new Prune4jException.BadInput("the teacher (" + o.teacher() + ") has a vocabulary of " + t.config().vocabSize() + " tokens, the student ("
                        + o.student() + ") " + s.config().vocabSize() + "; distillation needs the same vocabulary", null);
            TokenizerFiles.requireSame(o.teacher(), o.student());
        }
        int[] map = layerMap(o, t, s, hidden, err);
        String mapFrom = o.layerMap() != null ? o.layerMap() : map == null ? "null" : java.util.Arrays.toString(map);
        KdObjective.Config kcfg;
        try {
            kcfg = new KdObjective.Config(logitLoss, o.temperature(), o.alpha(), hidden, o.hiddenWeight(), map);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
        KdObjective objective = new KdObjective(t, s, kcfg, o.seed());

        Tokenizer tok = Tokenizers.load(o.student());
        int[] ids = tokens(o.data(), tok, o.docSeparator());
        TokenData.checkIds(ids, s.config().vocabSize(), o.data().toString());
        Batches batches = new Batches(ids, o.batch(), o.seqLen(), how, o.seed(), o.data().toString());
        int[][] evalW = null;
        if (o.eval() != null) {
            int[] e = tokens(o.eval(), tok, o.docSeparator());
            TokenData.checkIds(e, s.config().vocabSize(), o.eval().toString());
            evalW = Windows.first(e, Math.min(o.evalWindows(), Math.max(1, e.length / o.seqLen())), o.seqLen(), o.eval().toString());
        }

        SparsityMasks masks = SparsityMasks.of(s.parameters());
        boolean keep = o.keepSparsity() != null ? o.keepSparsity() : !masks.isEmpty();
        String recipe = String.join(" ", "distill", String.valueOf(o.teacher() == null ? "-" : o.teacher().toAbsolutePath().normalize()), o.loss(),
                Float.toString(o.temperature()), Double.toString(o.alpha()), o.hiddenLoss(), Double.toString(o.hiddenWeight()), mapFrom,
                Double.toString(o.lr()), Double.toString(o.minLr()), o.schedule(), Integer.toString(o.warmup()), Double.toString(o.weightDecay()),
                Boolean.toString(o.decayNorms()), Double.toString(o.beta1()), Double.toString(o.beta2()), Double.toString(o.eps()),
                Integer.toString(o.gradAccum()), Double.toString(o.clip()), Boolean.toString(keep));
        if (o.teacherCache() != null) recipe += " teacher-cache top-" + o.teacherTopK();
        Lora lora = null;
        if (o.loraRank() != null) {
            if (o.loraSave() != null && Files.exists(o.loraSave()) && !o.force()) throw invalid(o.loraSave() + " already exists (use --force to replace it)");
            try {
                lora = Lora.attach(s, new Lora.Config(o.loraRank(), o.loraAlpha(), o.loraDropout(), Lora.Config.parseTargets(o.loraTargets())), o.seed());
            } catch (IllegalArgumentException e) {
                throw invalid(e.getMessage());
            }
            recipe += " lora " + o.loraRank() + " " + o.loraAlpha() + " " + o.loraDropout() + " " + o.loraTargets() + " base " + TrainLoop.fingerprint("", s.parameters());
        } else if (o.loraSave() != null) {
            throw invalid("--lora-save needs --lora-rank");
        }
        TrainLoop loop = new TrainLoop(lora != null ? lora.parameters() : s.parameters(), objective, batches, settings,
                keep && lora == null ? masks : null, s.kernels(), recipe);
        TeacherCache cache = null;
        if (o.teacherCache() != null) {
            if (t == null) throw invalid("--teacher-cache needs --teacher");
            long reads = (long) o.steps() * o.gradAccum() * o.batch();
            long total = Math.min(reads, batches.windows());
            listener.progress("teacher cache", 0, total); // the clock of the cache's progress starts here
            try {
                cache = TeacherCache.openOrBuild(o.teacherCache(), t, batches, (int) total, o.temperature(), o.teacherTopK(),
                        (d, n) -> listener.progress("teacher cache", d, total));
                objective.withCache(cache, batches.windows());
            } catch (IllegalArgumentException e) {
                throw invalid(e.getMessage());
            }
        }
        Lora lo = lora;
        loop.onMicroBatch(m -> {
            objective.microBatch(m);
            if (lo != null) lo.microBatch(m);
        });
        int steps = o.steps();
        if (o.resume() != null) {
            loop.resume(o.resume());
            err.printf(Locale.ROOT, "distill: resumed %s at step %d of %d%n", o.resume(), loop.stepsDone(), steps);
        }
        err.printf(Locale.ROOT, "distill: student %s, %,d parameters%s; %s%s; %,d tokens, %d windows of %d; %s%n", o.student(), s.parameterCount(),
                keep ? String.format(Locale.ROOT, " (%,d zeros kept)", masks.zeros()) : "",
                t == null ? "no teacher" : "teacher " + o.teacher() + " (" + t.parameterCount() + " parameters)",
                logitLoss == KdObjective.LogitLoss.CE ? ", loss ce" : String.format(Locale.ROOT, ", loss %s T=%s alpha=%s", o.loss(), o.temperature(), o.alpha()),
                ids.length, batches.windows(), o.seqLen(), how.name().toLowerCase(Locale.ROOT));

        Double before = null;
        if (evalW != null && loop.stepsDone() == 0) {
            before = Perplexity.evaluate(s, evalW, o.batch(), null).ppl();
            err.printf(Locale.ROOT, "distill: eval ppl before %.3f on %d windows of %s%n", before, evalW.length, o.eval());
        }

        long t0 = System.nanoTime();
        int startStep = loop.stepsDone();
        double[] firstLast = {Double.NaN, Double.NaN};
        int[][] ew = evalW;
        List<Map<String, Object>> stepLines = new ArrayList<>();
        try (PrintStream logOut = o.log() == null ? null
                : new PrintStream(Files.newOutputStream(o.log(), StandardOpenOption.CREATE, StandardOpenOption.APPEND), true, StandardCharsets.UTF_8)) {
            loop.run(st -> {
                if (Double.isNaN(firstLast[0])) firstLast[0] = st.loss();
                firstLast[1] = st.loss();
                double secs = (System.nanoTime() - t0) / 1e9;
                long tokensThisRun = (long) (st.step() - startStep) * loop.tokensPerStep();
                double rate = tokensThisRun / Math.max(1e-9, secs);
                double eta = (steps - st.step()) * loop.tokensPerStep() / Math.max(1e-9, rate);
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("step", (long) st.step());
                line.put("loss", st.loss());
                line.put("lr", st.lr());
                line.put("grad_norm", st.gradNorm());
                line.put("tokens", st.tokens());
                line.putAll(st.parts());
                if (ew != null && o.evalEvery() > 0 && st.step() % o.evalEvery() == 0 && st.step() < steps)
                    line.put("eval_ppl", Perplexity.evaluate(s, ew, o.batch(), null).ppl());
                StringBuilder parts = new StringBuilder();
                st.parts().forEach((n, v) -> parts.append(String.format(Locale.ROOT, " %s %.4f", n, v)));
                listener.progress("distill", st.step(), steps);
                err.printf(Locale.ROOT, "distill: step %d/%d loss %.4f (%s) lr %.2e, %,.0f tokens/s, ETA %s%s%n", st.step(), steps, st.loss(), parts.toString().strip(),
                        st.lr(), rate, clock(eta), line.containsKey("eval_ppl") ? String.format(Locale.ROOT, ", eval ppl %.3f", (Double) line.get("eval_ppl")) : "");
                if (logOut != null) logOut.println(Json.write(line));
                stepLines.add(line);
            }, o.checkpointDir(), o.checkpointEvery());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (cache != null) cache.close();
        Double after = null;
        if (evalW != null) {
            after = Perplexity.evaluate(s, evalW, o.batch(), null).ppl();
            err.printf(Locale.ROOT, "distill: eval ppl after %.3f%n", after);
        }
        if (lora != null) {
            if (o.loraSave() != null) lora.save(o.loraSave(), o.student().toAbsolutePath().normalize().toString(), o.force());
            lora.merge(keep);
        }
        s.setTrainable(false);
        ModelConfig cfg = s.config();
        Map<String, String> carried; // where the student's layers came from, for a later --hidden-loss run
        try (SafeTensors sst = SafeTensors.open(o.student())) {
            carried = SourceLayers.carried(sst.metadata());
        }
        AtomicFiles.buildFolder(o.out(), o.force(), dir -> {
            cfg.write(dir.resolve(ModelConfig.FILE));
            SafeTensorsWriter.write(dir.resolve("model.safetensors"), s.namedTensors(), carried);
            TokenizerFiles.copy(o.student(), dir);
        });
        return new Result(firstLast[0], firstLast[1], loop.stepsDone(), (long) loop.stepsDone() * loop.tokensPerStep(), seconds, before, after, o.out(), map, List.copyOf(stepLines));
    }

    private static Prune4jException.InvalidOptions invalid(String message) {
        return new Prune4jException.InvalidOptions(message);
    }

    /** Text (encoded like every text input) or a token file, by extension. */
    private static int[] tokens(Path f, Tokenizer tok, String docSeparator) throws IOException {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".json") || n.endsWith(".bin")) return TokenData.load(f);
        return TokenData.fromText(f, tok, docSeparator, true);
    }

    /** --layer-map parsed, or the default ({@link DistillLayerMap}: the plan's kept layers, or the identity); null without a hidden loss. */
    private static int[] layerMap(DistillOptions o, LlamaModel t, LlamaModel s, KdObjective.HiddenLoss hidden, PrintStream err) throws IOException {
        if (hidden == KdObjective.HiddenLoss.NONE) {
            if (o.plan() != null || o.layerMap() != null) throw invalid("--plan and --layer-map choose the layers of --hidden-loss; give --hidden-loss cosine|mse");
            return null;
        }
        if (o.layerMap() == null) {
            DistillLayerMap.Resolved r = DistillLayerMap.resolve(o.plan(), o.student(), s.numLayers(), o.teacher(), t.numLayers());
            err.println("distill: hidden loss layer map from " + r.from());
            return r.map();
        }
        if (o.plan() != null) throw invalid("give --layer-map or --plan, not both");
        String[] parts = o.layerMap().split(",");
        if (parts.length != s.numLayers()) throw invalid("--layer-map has " + parts.length + " entries; the student has " + s.numLayers() + " layers");
        int[] m = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                m[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw invalid("--layer-map entry '" + parts[i] + "' is not a layer index");
            }
            if (m[i] < -1 || m[i] >= t.numLayers())
                throw invalid("--layer-map: student layer " + i + " maps to teacher layer " + m[i] + ", outside [0, " + t.numLayers() + ") (or -1 for none)");
        }
        return m;
    }

    /** m:ss or h:mm:ss, as the CLI's progress lines print an ETA. */
    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
    }
}
