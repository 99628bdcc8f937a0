package org.prune4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.api.Distill;
import org.prune4j.api.DistillOptions;
import org.prune4j.api.Prune4jException;
import org.prune4j.api.ProgressListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code distill}: retrains a (pruned) student from its teacher by knowledge distillation (Minitron's recovery step)
 * and writes the student as a Hugging Face folder that appears only when training is complete. The flags become
 * {@link DistillOptions}; {@link Distill} runs them.
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
        DistillOptions o = DistillOptions.builder(student, data, out).teacher(teacher).docSeparator(docSeparator).force(force)
                .loss(loss).temperature(temperature).alpha(alpha).hiddenLoss(hiddenLoss).hiddenWeight(hiddenWeight).layerMap(layerMap).plan(plan)
                .seqLen(seqLen).batch(batch).gradAccum(gradAccum).dataSampling(sampling).steps(steps).lr(lr).minLr(minLr).schedule(schedule)
                .warmup(warmup).decaySteps(decaySteps).weightDecay(weightDecay).decayNorms(decayNorms).beta1(beta1).beta2(beta2).eps(eps)
                .clip(clip).seed(seed).keepSparsity(keepSparsity).teacherCache(teacherCache).teacherTopK(teacherTopK)
                .loraRank(loraRank).loraAlpha(loraAlpha).loraTargets(loraTargets).loraDropout(loraDropout).loraSave(loraSave)
                .checkpointDir(checkpointDir).checkpointEvery(checkpointEvery).resume(resume).log(log)
                .eval(eval).evalEvery(evalEvery).evalWindows(evalWindows).build();
        Distill.Result r;
        try {
            r = Distill.run(o, device.kernels(), new ProgressListener() {
                private ProgressLine cache;

                @Override public void message(String line) { common.log().println(line); }

                @Override public void progress(String stage, long done, long total) {
                    if (!stage.equals("teacher cache")) return; // each step has its own message line
                    if (cache == null) cache = new ProgressLine(common.log(), "teacher cache", total, "windows", false);
                    if (done > 0) cache.update(done);
                }
            });
        } catch (Prune4jException.InvalidOptions e) {
            throw new UsageException(spec.commandLine(), e.getMessage());
        }
        Map<String, Object> result = new LinkedHashMap<>();
        if (r.layerMap() != null) result.put("layer_map", r.layerMap());
        if (r.evalPplBefore() != null) result.put("eval_ppl_before", r.evalPplBefore());
        if (r.evalPpl() != null) result.put("eval_ppl", r.evalPpl());
        result.put("first_loss", r.firstLoss());
        result.put("final_loss", r.finalLoss());
        result.put("steps", (long) r.steps());
        result.put("tokens", r.tokens());
        result.put("seconds", r.seconds());
        result.put("out", out.toString());
        if (loraSave != null) result.put("lora_save", loraSave.toString());
        if (reportDir != null) {
            var rep = new org.prune4j.cli.report.DistillReport(student.toString(), teacher == null ? null : teacher.toString(), data.toString(),
                    eval == null ? null : eval.toString(), log != null ? org.prune4j.cli.report.DistillReport.readLog(log) : r.stepLines(), result);
            rep.page().write(reportDir, result);
            common.log().println("distill: report in " + reportDir.resolve("report.html"));
        }
        common.emit(String.format(Locale.ROOT, "distilled %s for %d steps (loss %.4f -> %.4f) in %.1f s%s; saved %s", student, r.steps(), r.firstLoss(),
                r.finalLoss(), r.seconds(), r.evalPpl() != null ? String.format(Locale.ROOT, ", eval ppl %.3f", r.evalPpl()) : "", out), result);
        return 0;
    }
}
