package org.prune4j.api.compress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.prune4j.api.ProgressListener;
import org.prune4j.distill.Batches;
import org.prune4j.distill.KdObjective;
import org.prune4j.distill.Schedule;
import org.prune4j.distill.TrainLoop;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.pruning.CheckpointPruner;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.StructuredWriter;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;

/**
 * One unit of {@code compress}'s work, the part a parallel runner would ship to a worker: prune the teacher by a
 * plan, distill the student from the teacher (KL, T = 1, cosine), evaluate before and after. It is resumable inside
 * the run: in the work folder, {@code STEM.ckpt/} is the distill module's {@link TrainLoop} checkpoint and
 * {@code STEM.progress.json} the perplexity after pruning and the losses so far, so a run killed mid-way continues
 * at its last checkpoint with the same bytes as an uninterrupted one. The trained model is {@code STEM.model/}.
 */
public final class CandidateStep {
    private CandidateStep() {}

    /** How a student is distilled: steps, peak rate, windows per step, window length, seed, steps between checkpoints. */
    public record Recipe(int steps, double lr, int batch, int seqLen, long seed, int checkpointEvery) {
        /** What makes two runs the same run (the checkpoint's run id also covers the data and the student's initial weights). */
        String describe(Plan plan) {
            return String.format(Locale.ROOT, "compress kd kl T=1 cosine steps=%d lr=%s batch=%d seq=%d seed=%d criterion=%s targets=%s", steps, lr, batch, seqLen, seed, plan.criterion(), plan.targets());
        }
    }

    /** What a run gave: perplexity after pruning and after distilling, the loss of every step, seconds in this process, the step it resumed at (0: fresh), the trained model's folder. */
    public record Trained(double pplPruned, double pplAfter, List<Double> losses, double seconds, int resumedAt, Path model) {}

    /** The token streams a student trains and is evaluated on. */
    public record Data(int[] train, String trainName, int[][] evalWindows) {}

    /**
     * Runs (or continues) the run {@code stem} in {@code work}: prune {@code t} by {@code plan}, distill by
     * {@code r} on {@code d}, evaluate; {@code what} names it in progress lines ("candidate 2/8").
     */
    public static Trained run(Teacher t, Plan plan, Recipe r, Data d, Path work, String stem, String what, ProgressListener l) throws IOException {
        long t0 = System.nanoTime();
        Path dir = work.resolve(stem + ".model"), ckpt = work.resolve(stem + ".ckpt"), prog = work.resolve(stem + ".progress.json");
        StructuredWriter.write(t.dir(), t.config(), t.source(), plan, dir, true, Map.of("pruned_by", "prune4j compress"), null);
        Student s = new Student(t, dir, r, d, plan);

        double before = Double.NaN;
        List<Double> losses = new ArrayList<>();
        int resumedAt = 0;
        Map<String, Object> saved = Files.isDirectory(ckpt) ? readProgress(prog) : null;
        if (saved != null) {
            try {
                s.loop.resume(ckpt);
                List<?> ls = (List<?>) saved.get("losses");
                if (ls.size() < s.loop.stepsDone()) throw new IOException(prog + " holds " + ls.size() + " losses, the checkpoint is at step " + s.loop.stepsDone());
                for (int i = 0; i < s.loop.stepsDone(); i++) losses.add(((Number) ls.get(i)).doubleValue());
                before = ((Number) saved.get("ppl_pruned")).doubleValue();
                resumedAt = s.loop.stepsDone();
                l.message(String.format(Locale.ROOT, "%s: resumed at step %d of %d from %s", what, resumedAt, r.steps(), ckpt));
            } catch (IOException | RuntimeException e) {
                l.message(what + ": cannot resume from " + ckpt + " (" + e.getMessage() + "); starting it over");
                AtomicFiles.deleteTree(ckpt);
                s = new Student(t, dir, r, d, plan); // the failed restore may have written into the student
                losses.clear();
            }
        }
        if (resumedAt == 0) {
            before = Perplexity.evaluate(s.model, d.evalWindows(), r.batch(), null).ppl();
            writeProgress(prog, before, losses);
        }

        int every = r.checkpointEvery(), report = Math.max(1, r.steps() / 10);
        double pplPruned = before;
        long tl = System.nanoTime();
        int first = resumedAt;
        s.loop.run(x -> {
            losses.add(x.loss());
            if (x.step() % every == 0 || x.step() == r.steps()) writeProgress(prog, pplPruned, losses); // before the loop's checkpoint of this step
            if (x.step() % report == 0 || x.step() == r.steps()) {
                double el = (System.nanoTime() - tl) / 1e9;
                l.message(String.format(Locale.ROOT, "%s step %d/%d loss %.4f, ETA %s", what, x.step(), r.steps(), x.loss(), clock(el / (x.step() - first) * (r.steps() - x.step()))));
            }
            l.progress(what, x.step(), r.steps());
        }, ckpt, every);
        double after = Perplexity.evaluate(s.model, d.evalWindows(), r.batch(), null).ppl();
        s.model.setTrainable(false);
        ModelConfig sc = s.model.config();
        LlamaModel m = s.model;
        AtomicFiles.buildFolder(dir, true, out -> {
            sc.write(out.resolve(ModelConfig.FILE));
            SafeTensorsWriter.write(out.resolve("model.safetensors"), m.namedTensors(), Map.of());
            for (String f : CheckpointPruner.TOKENIZER_FILES)
                if (Files.isRegularFile(t.dir().resolve(f))) Files.write(out.resolve(f), Files.readAllBytes(t.dir().resolve(f)));
        });
        return new Trained(before, after, List.copyOf(losses), (System.nanoTime() - t0) / 1e9, resumedAt, dir);
    }

    /** Removes the run's checkpoint and progress file (after its result is kept), and its model unless {@code keepModel}. */
    public static void clean(Path work, String stem, boolean keepModel) throws IOException {
        AtomicFiles.deleteTree(work.resolve(stem + ".ckpt"));
        Files.deleteIfExists(work.resolve(stem + ".progress.json"));
        if (!keepModel) AtomicFiles.deleteTree(work.resolve(stem + ".model"));
    }

    /** The pruned student loaded from its folder, with its objective and loop (fresh: step 0). */
    private static final class Student {
        final LlamaModel model;
        final TrainLoop loop;

        Student(Teacher t, Path dir, Recipe r, Data d, Plan plan) throws IOException {
            model = LlamaModel.load(dir, t.kernels());
            KdObjective obj = new KdObjective(t.model(), model, KdObjective.Config.logits(KdObjective.LogitLoss.KL, 1f, 1.0), r.seed());
            Batches b = new Batches(d.train(), r.batch(), r.seqLen(), Batches.Sampling.FIRST, r.seed(), d.trainName());
            TrainLoop.Settings set = new TrainLoop.Settings(r.steps(), r.lr(), 0, Schedule.COSINE, 0, Math.max(1, r.steps() / 5), 0, false, 0.9, 0.999, 1e-8, 1, 1.0, r.seed());
            loop = new TrainLoop(model.parameters(), obj, b, set, null, model.kernels(), r.describe(plan));
            loop.onMicroBatch(obj::microBatch);
        }
    }

    private static void writeProgress(Path f, double pplPruned, List<Double> losses) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ppl_pruned", pplPruned);
        m.put("losses", new ArrayList<Object>(losses));
        AtomicFiles.writeString(f, Json.write(m));
    }

    /** The saved progress, or null when there is none or it cannot be read (the run then starts over). */
    private static Map<String, Object> readProgress(Path f) {
        try {
            Map<String, Object> m = Json.parseObject(Files.readString(f), false);
            return m.get("ppl_pruned") instanceof Number && m.get("losses") instanceof List<?> ? m : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** m:ss or h:mm:ss. */
    static String clock(double seconds) {
        long s = Double.isFinite(seconds) ? Math.round(seconds) : 0;
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
