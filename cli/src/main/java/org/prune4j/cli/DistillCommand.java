package org.prune4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
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
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.structured.SourceLayers;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code distill}: retrains a (pruned) student from its teacher by knowledge distillation (Minitron's recovery step)
 * and writes the student as a Hugging Face folder that appears only when training is complete.
 */
@Command(name = "distill", mixinStandardHelpOptions = true,
        description = "Retrain a pruned student from its teacher by knowledge distillation (logit KL, hidden states, CE); writes a model folder.")
public final class DistillCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;

    @Option(names = "--teacher", description = "Teacher model folder (not needed with --loss ce and no hidden loss).")
    Path teacher;
    @Option(names = "--student", required = true, description = "Student model folder (the pruned model); its tokenizer is used.")
    Path student;
    @Option(names = "--data", required = true, description = "Training text (whole file encoded once with BOS, or per document with --doc-separator) or token ids (.json, .bin, .i32.bin).")
    Path data;
    @Option(names = "--doc-separator", description = "Split the text into documents at this string (each encoded with BOS).")
    String docSeparator;
    @Option(names = "--out", required = true, description = "Output model folder (must not exist unless --force); appears only when complete.")
    Path out;
    @Option(names = "--force", description = "Replace an existing output folder.")
    boolean force;

    @Option(names = "--loss", defaultValue = "kl", description = "kl (forward KL(p_T||p_S) * T^2), reverse-kl or ce (hard labels only); default ${DEFAULT-VALUE}.")
    String loss;
    @Option(names = "--temperature", defaultValue = "1", description = "Softmax temperature T of both distributions (default ${DEFAULT-VALUE}).")
    float temperature;
    @Option(names = "--alpha", defaultValue = "1", description = "Loss = alpha * KD + (1 - alpha) * CE (default ${DEFAULT-VALUE}: KD only).")
    double alpha;
    @Option(names = "--hidden-loss", defaultValue = "none", description = "none, cosine or mse between student layer outputs and their teacher layers (default ${DEFAULT-VALUE}).")
    String hiddenLoss;
    @Option(names = "--hidden-weight", defaultValue = "1", description = "Weight of the hidden loss (default ${DEFAULT-VALUE}).")
    double hiddenWeight;
    @Option(names = "--layer-map", description = "Teacher layer of each student layer, comma-separated (-1: none), e.g. 0,1,3,4 (default: the kept layers of --plan,"
            + " else of the student's metadata that prune --target writes, else the identity when depths match).")
    String layerMap;
    @Option(names = "--plan", description = "The structured plan the student was pruned with (prune --plan-out): --hidden-loss maps each kept layer to its teacher layer.")
    Path plan;

    @Option(names = "--seq-len", defaultValue = "128", description = "Window length in tokens (default ${DEFAULT-VALUE}).")
    int seqLen;
    @Option(names = "--batch", defaultValue = "8", description = "Windows per micro-batch (default ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per optimizer step (default ${DEFAULT-VALUE}).")
    int gradAccum;
    @Option(names = "--data-sampling", defaultValue = "first", description = "first: batch b takes windows [bB, (b+1)B) in order, wrapping around; random: seeded random windows (default ${DEFAULT-VALUE}).")
    String sampling;
    @Option(names = "--steps", defaultValue = "100", description = "Optimizer steps in all (with --resume: the new total; default ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--lr", defaultValue = "1e-4", description = "Peak learning rate (default ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--min-lr", defaultValue = "0", description = "Final rate of cosine and wsd (default ${DEFAULT-VALUE}).")
    double minLr;
    @Option(names = "--schedule", defaultValue = "cosine", description = "constant, cosine or wsd, after --warmup (default ${DEFAULT-VALUE}).")
    String schedule;
    @Option(names = "--warmup", defaultValue = "0", description = "Linear warm-up steps (default ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--decay-steps", description = "wsd: length of the final linear decay (default: 20%% of the steps).")
    Integer decaySteps;
    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW decoupled weight decay, on matrices only (default ${DEFAULT-VALUE}, as the HF Trainer).")
    double weightDecay;
    @Option(names = "--decay-norms", description = "Decay norm weights and biases too.")
    boolean decayNorms;
    @Option(names = "--beta1", defaultValue = "0.9", description = "AdamW beta1 (default ${DEFAULT-VALUE}).")
    double beta1;
    @Option(names = "--beta2", defaultValue = "0.999", description = "AdamW beta2 (default ${DEFAULT-VALUE}).")
    double beta2;
    @Option(names = "--eps", defaultValue = "1e-8", description = "AdamW epsilon (default ${DEFAULT-VALUE}).")
    double eps;
    @Option(names = "--clip", defaultValue = "1.0", description = "Global gradient-norm limit, 0 = off (default ${DEFAULT-VALUE}, as the HF Trainer).")
    double clip;
    @Option(names = "--seed", defaultValue = "42", description = "Seed of random windows and projections (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--keep-sparsity", negatable = true, description = "Keep the student's zero weights exactly zero (default: on when its decoder matrices hold zeros).")
    Boolean keepSparsity;

    @Option(names = "--teacher-cache", description = "Offline KD: read the teacher's top-k log-probabilities from this folder, building it first when absent (needs --data-sampling first, --loss kl).")
    Path teacherCache;
    @Option(names = "--teacher-top-k", defaultValue = "64", description = "Teacher probabilities kept per position in --teacher-cache, plus the leftover mass (default ${DEFAULT-VALUE}).")
    int teacherTopK;

    @Option(names = "--lora-rank", description = "Train LoRA adapters of this rank instead of the weights (base frozen; merged into --out at the end).")
    Integer loraRank;
    @Option(names = "--lora-alpha", defaultValue = "8", description = "LoRA alpha; updates are scaled by alpha / rank (default ${DEFAULT-VALUE}, as PEFT).")
    double loraAlpha;
    @Option(names = "--lora-targets", defaultValue = "q,k,v,o,gate,up,down", description = "Linear layers that get adapters (default ${DEFAULT-VALUE}, as LLM-Pruner's recovery).")
    String loraTargets;
    @Option(names = "--lora-dropout", defaultValue = "0", description = "Dropout on the adapters' input (default ${DEFAULT-VALUE}).")
    double loraDropout;
    @Option(names = "--lora-save", description = "Also write the adapters, unmerged, as a PEFT folder (adapter_config.json + adapter_model.safetensors).")
    Path loraSave;

    @Option(names = "--checkpoint-dir", description = "Keep the latest resumable checkpoint here (written atomically).")
    Path checkpointDir;
    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Checkpoint every K steps (0: only at the end; default ${DEFAULT-VALUE}).")
    int checkpointEvery;
    @Option(names = "--resume", description = "Continue from this checkpoint folder up to --steps (same run: student, teacher, data and recipe).")
    Path resume;
    @Option(names = "--log", description = "Append one JSON line per step (step, loss, lr, grad_norm, tokens, kd/ce/hidden, eval_ppl).")
    Path log;
    @Option(names = "--eval", description = "Text (or token file) for perplexity, before, every --eval-every steps and at the end.")
    Path eval;
    @Option(names = "--eval-every", defaultValue = "0", description = "Evaluate every N steps (0: before and after only; default ${DEFAULT-VALUE}).")
    int evalEvery;
    @Option(names = "--eval-windows", defaultValue = "64", description = "First W windows of --seq-len tokens of --eval (default ${DEFAULT-VALUE}).")
    int evalWindows;
    @Option(names = "--report", paramLabel = "DIR", description = "Also write report.html (loss, eval-perplexity and learning-rate curves; with --log the whole history of a resumed run), report.json and steps.csv into DIR.")
    Path reportDir;

    @Override
    public Integer call() throws Exception {
        var cl = spec.commandLine();
        KdObjective.LogitLoss logitLoss = switch (loss.toLowerCase(Locale.ROOT)) {
            case "kl" -> KdObjective.LogitLoss.KL;
            case "reverse-kl" -> KdObjective.LogitLoss.REVERSE_KL;
            case "ce" -> KdObjective.LogitLoss.CE;
            default -> throw new UsageException(cl, "--loss must be kl, reverse-kl or ce, got '" + loss + "'");
        };
        KdObjective.HiddenLoss hidden = switch (hiddenLoss.toLowerCase(Locale.ROOT)) {
            case "none" -> KdObjective.HiddenLoss.NONE;
            case "cosine" -> KdObjective.HiddenLoss.COSINE;
            case "mse" -> KdObjective.HiddenLoss.MSE;
            default -> throw new UsageException(cl, "--hidden-loss must be none, cosine or mse, got '" + hiddenLoss + "'");
        };
        boolean needsTeacher = logitLoss != KdObjective.LogitLoss.CE || hidden != KdObjective.HiddenLoss.NONE;
        if (needsTeacher && teacher == null) throw new UsageException(cl, "--teacher is required unless --loss ce without a hidden loss");
        if (Files.exists(out) && !force) throw new UsageException(cl, out + " already exists (use --force to replace it)");
        if (checkpointEvery < 0 || evalEvery < 0 || evalWindows < 1) throw new UsageException(cl, "--checkpoint-every and --eval-every must be >= 0, --eval-windows >= 1");
        TrainLoop.Settings settings;
        Batches.Sampling how;
        Schedule sched;
        try {
            how = Batches.Sampling.parse(sampling);
            sched = Schedule.parse(schedule);
            settings = new TrainLoop.Settings(steps, lr, minLr, sched, warmup, decaySteps != null ? decaySteps : Math.max(1, steps / 5),
                    weightDecay, decayNorms, beta1, beta2, eps, gradAccum, clip, seed);
        } catch (IllegalArgumentException e) {
            throw new UsageException(cl, e.getMessage());
        }
        PrintStream err = common.log();

        // models: the teacher only runs inference; the student trains
        LlamaModel s = LlamaModel.load(student, device.kernels());
        LlamaModel t = null;
        if (needsTeacher) {
            t = LlamaModel.load(teacher, device.kernels());
            if (t.config().vocabSize() != s.config().vocabSize())
                throw new IllegalArgumentException("the teacher (" + teacher + ") has a vocabulary of " + t.config().vocabSize() + " tokens, the student ("
                        + student + ") " + s.config().vocabSize() + "; distillation needs the same vocabulary");
            TokenizerFiles.requireSame(teacher, student);
        }
        int[] map = layerMap(cl, t, s, hidden);
        String mapFrom = layerMap != null ? layerMap : map == null ? "null" : java.util.Arrays.toString(map);
        KdObjective.Config kcfg;
        try {
            kcfg = new KdObjective.Config(logitLoss, temperature, alpha, hidden, hiddenWeight, map);
        } catch (IllegalArgumentException e) {
            throw new UsageException(cl, e.getMessage());
        }
        KdObjective objective = new KdObjective(t, s, kcfg, seed);

        var tok = Tokenizers.load(student);
        int[] ids = tokens(data, tok);
        TokenData.checkIds(ids, s.config().vocabSize(), data.toString());
        Batches batches = new Batches(ids, batch, seqLen, how, seed, data.toString());
        int[][] evalW = null;
        if (eval != null) {
            int[] e = tokens(eval, tok);
            TokenData.checkIds(e, s.config().vocabSize(), eval.toString());
            evalW = Windows.first(e, Math.min(evalWindows, Math.max(1, e.length / seqLen)), seqLen, eval.toString());
        }

        SparsityMasks masks = SparsityMasks.of(s.parameters());
        boolean keep = keepSparsity != null ? keepSparsity : !masks.isEmpty();
        String recipe = String.join(" ", "distill", String.valueOf(teacher == null ? "-" : teacher.toAbsolutePath().normalize()), loss, Float.toString(temperature),
                Double.toString(alpha), hiddenLoss, Double.toString(hiddenWeight), mapFrom, Double.toString(lr), Double.toString(minLr), schedule,
                Integer.toString(warmup), Double.toString(weightDecay), Boolean.toString(decayNorms), Double.toString(beta1), Double.toString(beta2),
                Double.toString(eps), Integer.toString(gradAccum), Double.toString(clip), Boolean.toString(keep));
        if (teacherCache != null) recipe += " teacher-cache top-" + teacherTopK;
        Lora lora = null;
        if (loraRank != null) {
            if (loraSave != null && Files.exists(loraSave) && !force) throw new UsageException(cl, loraSave + " already exists (use --force to replace it)");
            try {
                lora = Lora.attach(s, new Lora.Config(loraRank, loraAlpha, loraDropout, Lora.Config.parseTargets(loraTargets)), seed);
            } catch (IllegalArgumentException e) {
                throw new UsageException(cl, e.getMessage());
            }
            recipe += " lora " + loraRank + " " + loraAlpha + " " + loraDropout + " " + loraTargets + " base " + TrainLoop.fingerprint("", s.parameters());
        } else if (loraSave != null) {
            throw new UsageException(cl, "--lora-save needs --lora-rank");
        }
        TrainLoop loop = new TrainLoop(lora != null ? lora.parameters() : s.parameters(), objective, batches, settings,
                keep && lora == null ? masks : null, s.kernels(), recipe);
        TeacherCache cache = null;
        if (teacherCache != null) {
            if (t == null) throw new UsageException(cl, "--teacher-cache needs --teacher");
            long reads = (long) steps * gradAccum * batch;
            ProgressLine p = new ProgressLine(err, "teacher cache", Math.min(reads, batches.windows()), "windows", false);
            try {
                cache = TeacherCache.openOrBuild(teacherCache, t, batches, (int) Math.min(reads, batches.windows()), temperature, teacherTopK, (d, n) -> p.update(d));
                objective.withCache(cache, batches.windows());
            } catch (IllegalArgumentException e) {
                throw new UsageException(cl, e.getMessage());
            }
        }
        Lora lo = lora;
        loop.onMicroBatch(m -> {
            objective.microBatch(m);
            if (lo != null) lo.microBatch(m);
        });
        if (resume != null) {
            loop.resume(resume);
            err.printf(Locale.ROOT, "distill: resumed %s at step %d of %d%n", resume, loop.stepsDone(), steps);
        }
        err.printf(Locale.ROOT, "distill: student %s, %,d parameters%s; %s%s; %,d tokens, %d windows of %d; %s%n", student, s.parameterCount(),
                keep ? String.format(Locale.ROOT, " (%,d zeros kept)", masks.zeros()) : "",
                t == null ? "no teacher" : "teacher " + teacher + " (" + t.parameterCount() + " parameters)",
                logitLoss == KdObjective.LogitLoss.CE ? ", loss ce" : String.format(Locale.ROOT, ", loss %s T=%s alpha=%s", loss, temperature, alpha),
                ids.length, batches.windows(), seqLen, how.name().toLowerCase(Locale.ROOT));

        Map<String, Object> result = new LinkedHashMap<>();
        if (map != null) result.put("layer_map", map);
        if (evalW != null && loop.stepsDone() == 0) {
            double ppl = Perplexity.evaluate(s, evalW, batch, null).ppl();
            result.put("eval_ppl_before", ppl);
            err.printf(Locale.ROOT, "distill: eval ppl before %.3f on %d windows of %s%n", ppl, evalW.length, eval);
        }

        long t0 = System.nanoTime();
        int startStep = loop.stepsDone();
        double[] firstLast = {Double.NaN, Double.NaN};
        int[][] ew = evalW;
        java.util.List<Map<String, Object>> stepLines = new java.util.ArrayList<>();
        try (PrintStream logOut = log == null ? null : new PrintStream(Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND), true, StandardCharsets.UTF_8)) {
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
                if (ew != null && evalEvery > 0 && st.step() % evalEvery == 0 && st.step() < steps) line.put("eval_ppl", Perplexity.evaluate(s, ew, batch, null).ppl());
                StringBuilder parts = new StringBuilder();
                st.parts().forEach((n, v) -> parts.append(String.format(Locale.ROOT, " %s %.4f", n, v)));
                err.printf(Locale.ROOT, "distill: step %d/%d loss %.4f (%s) lr %.2e, %,.0f tokens/s, ETA %s%s%n", st.step(), steps, st.loss(), parts.toString().strip(),
                        st.lr(), rate, ProgressLine.clock(eta), line.containsKey("eval_ppl") ? String.format(Locale.ROOT, ", eval ppl %.3f", (Double) line.get("eval_ppl")) : "");
                if (logOut != null) logOut.println(Json.write(line));
                stepLines.add(line);
            }, checkpointDir, checkpointEvery);
        } catch (TrainLoop.NonFiniteLossException e) {
            throw new IOException(e.getMessage() + (checkpointDir != null ? "; the last good checkpoint is in " + checkpointDir : "") + "; no output written");
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (cache != null) cache.close();
        if (evalW != null) {
            double ppl = Perplexity.evaluate(s, evalW, batch, null).ppl();
            result.put("eval_ppl", ppl);
            err.printf(Locale.ROOT, "distill: eval ppl after %.3f%n", ppl);
        }
        if (lora != null) {
            if (loraSave != null) lora.save(loraSave, student.toAbsolutePath().normalize().toString(), force);
            lora.merge(keep);
        }
        s.setTrainable(false);
        ModelConfig cfg = s.config();
        Map<String, String> carried; // where the student's layers came from, for a later --hidden-loss run
        try (SafeTensors st = SafeTensors.open(student)) {
            carried = SourceLayers.carried(st.metadata());
        }
        AtomicFiles.buildFolder(out, force, dir -> {
            cfg.write(dir.resolve(ModelConfig.FILE));
            SafeTensorsWriter.write(dir.resolve("model.safetensors"), s.namedTensors(), carried);
            TokenizerFiles.copy(student, dir);
        });
        result.put("first_loss", firstLast[0]);
        result.put("final_loss", firstLast[1]);
        result.put("steps", (long) loop.stepsDone());
        result.put("tokens", (long) loop.stepsDone() * loop.tokensPerStep());
        result.put("seconds", seconds);
        result.put("out", out.toString());
        if (loraSave != null) result.put("lora_save", loraSave.toString());
        if (reportDir != null) {
            var rep = new org.prune4j.cli.report.DistillReport(student.toString(), teacher == null ? null : teacher.toString(), data.toString(),
                    eval == null ? null : eval.toString(), log != null ? org.prune4j.cli.report.DistillReport.readLog(log) : stepLines, result);
            rep.page().write(reportDir, result);
            err.println("distill: report in " + reportDir.resolve("report.html"));
        }
        common.emit(String.format(Locale.ROOT, "distilled %s for %d steps (loss %.4f -> %.4f) in %.1f s%s; saved %s", student, loop.stepsDone(), firstLast[0], firstLast[1], seconds,
                result.containsKey("eval_ppl") ? String.format(Locale.ROOT, ", eval ppl %.3f", (Double) result.get("eval_ppl")) : "", out), result);
        return 0;
    }

    /** Text (encoded like every text input) or a token file, by extension. */
    private int[] tokens(Path f, org.prune4j.io.tokenizer.Tokenizer tok) throws IOException {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".json") || n.endsWith(".bin")) return TokenData.load(f);
        return TokenData.fromText(f, tok, docSeparator, true);
    }

    /** --layer-map parsed, or the default ({@link DistillLayerMap}: the plan's kept layers, or the identity); null without a hidden loss. */
    private int[] layerMap(picocli.CommandLine cl, LlamaModel t, LlamaModel s, KdObjective.HiddenLoss hidden) throws IOException {
        if (hidden == KdObjective.HiddenLoss.NONE) {
            if (plan != null || layerMap != null) throw new UsageException(cl, "--plan and --layer-map choose the layers of --hidden-loss; give --hidden-loss cosine|mse");
            return null;
        }
        if (layerMap == null) {
            DistillLayerMap.Resolved r = DistillLayerMap.resolve(plan, student, s.numLayers(), teacher, t.numLayers());
            common.log().println("distill: hidden loss layer map from " + r.from());
            return r.map();
        }
        if (plan != null) throw new UsageException(cl, "give --layer-map or --plan, not both");
        String[] parts = layerMap.split(",");
        if (parts.length != s.numLayers()) throw new UsageException(cl, "--layer-map has " + parts.length + " entries; the student has " + s.numLayers() + " layers");
        int[] m = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                m[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new UsageException(cl, "--layer-map entry '" + parts[i] + "' is not a layer index");
            }
            if (m[i] < -1 || m[i] >= t.numLayers())
                throw new UsageException(cl, "--layer-map: student layer " + i + " maps to teacher layer " + m[i] + ", outside [0, " + t.numLayers() + ") (or -1 for none)");
        }
        return m;
    }
}
