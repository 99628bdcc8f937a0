package org.prune4j.distill;

import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.prune4j.autograd.AdamW;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LlamaModel;

/**
 * The one training loop behind {@code train} and {@code distill}. A step: for each of {@code gradAccum}
 * micro-batches, the objective's loss on a fresh tape, backpropagated with seed 1/gradAccum (so gradients are those
 * of the mean loss); masked gradients zeroed; the global norm clipped; AdamW (decoupled decay on matrices, and on
 * norms and biases too with {@code decayNorms}) at the schedule's rate; masked weights zeroed again. A loss that is
 * not finite stops the run before the update, so the weights and the last checkpoint stay those of a good step.
 */
public final class TrainLoop {
    /** Hyper-parameters of a run (HF Trainer / PyTorch names where they exist). */
    public record Settings(int steps, double lr, double minLr, Schedule schedule, int warmup, int decaySteps,
                           double weightDecay, boolean decayNorms, double beta1, double beta2, double eps,
                           int gradAccum, double clip, long seed) {
        public Settings {
            if (steps < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
            if (!(lr > 0) || minLr < 0 || minLr > lr) throw new IllegalArgumentException("need lr > 0 and 0 <= min-lr <= lr; got lr " + lr + ", min-lr " + minLr);
            if (warmup < 0 || decaySteps < 0) throw new IllegalArgumentException("--warmup and the decay length must be >= 0");
            if (gradAccum < 1) throw new IllegalArgumentException("--grad-accum must be >= 1, got " + gradAccum);
            if (!(weightDecay >= 0) || !(clip >= 0)) throw new IllegalArgumentException("--weight-decay and --clip must be >= 0");
        }

        /** The rate of step {@code it} (0-based). */
        public double rate(int it) { return schedule.rate(it, steps, lr, minLr, warmup, decaySteps); }

        /** The same settings with another total (a resumed run's new --steps). */
        public Settings withSteps(int n) {
            return new Settings(n, lr, minLr, schedule, warmup, decaySteps, weightDecay, decayNorms, beta1, beta2, eps, gradAccum, clip, seed);
        }
    }

    /** What one step did: loss (mean over micro-batches), its parts, rate, gradient norm before clipping, tokens so far. */
    public record Step(int step, double loss, Map<String, Double> parts, double lr, double gradNorm, long tokens) {}

    /** Called after every step. */
    @FunctionalInterface
    public interface Listener {
        void step(Step s) throws IOException;
    }

    /** The loss became NaN or infinite at {@code step} (1-based); the weights are those after step - 1. */
    public static final class NonFiniteLossException extends RuntimeException {
        private final int step;

        NonFiniteLossException(int step, double loss) {
            super("loss is " + loss + " at step " + step + "; stopped before updating the weights");
            this.step = step;
        }

        public int step() { return step; }
    }

    private final Map<String, Var> params;
    private final List<Var> list;
    private final Objective objective;
    private final Batches data;
    private Settings s;
    private final AdamW opt;
    private final SparsityMasks masks;
    private final String runId;
    private final Kernels k;
    private int step;
    private double lastLoss = Double.NaN;

    /**
     * A loop over {@code trainable} parameters (by name; the objective's extra parameters are added), with masked
     * updates when {@code masks} is not null; tapes run on {@code k} (the student's kernels). {@code recipe} describes everything that makes two runs the same run
     * (teacher, objective, hyper-parameters except the total steps); with the data and the initial weights it
     * forms the run id a checkpoint is checked against.
     */
    public TrainLoop(Map<String, Var> trainable, Objective objective, Batches data, Settings s, SparsityMasks masks, Kernels k, String recipe) {
        this.params = new LinkedHashMap<>(trainable);
        objective.extraParameters().forEach((n, v) -> {
            if (params.putIfAbsent(n, v) != null) throw new IllegalArgumentException("objective parameter " + n + " clashes with a model parameter");
        });
        for (Var v : params.values()) v.setFrozen(false);
        this.list = new ArrayList<>(params.values());
        this.objective = objective;
        this.data = data;
        this.s = s;
        this.k = k;
        this.masks = masks == null || masks.isEmpty() ? null : masks;
        this.opt = new AdamW(list, v -> s.decayNorms() || v.rank() >= 2, new AdamW.Settings(s.beta1(), s.beta2(), s.eps(), s.weightDecay()),
                k.parallelism());
        this.runId = runId(recipe, data, params);
    }

    /**
     * What {@code train} runs: every parameter of {@code model}, next-token cross-entropy, {@code batch} random
     * windows of {@code seqLen} tokens per step (seeded by {@code s.seed()}), no masks.
     */
    public static TrainLoop languageModel(LlamaModel model, int[] tokens, int batch, int seqLen, Settings s, String source) {
        Batches data = new Batches(tokens, batch, seqLen, Batches.Sampling.RANDOM, s.seed(), source);
        return new TrainLoop(model.parameters(), new LmObjective(model), data, s, null, model.kernels(), "train " + model.config());
    }

    private java.util.function.LongConsumer onMicroBatch = m -> {};

    /** Called with each micro-batch's index before its forward (LoRA dropout seeds). */
    public TrainLoop onMicroBatch(java.util.function.LongConsumer c) {
        this.onMicroBatch = c;
        return this;
    }

    /** Steps done so far. */
    public int stepsDone() { return step; }

    public Settings settings() { return s; }

    /** Parameters trained, by name. */
    public Map<String, Var> parameters() { return java.util.Collections.unmodifiableMap(params); }

    /** Tokens one step reads. */
    public long tokensPerStep() { return (long) s.gradAccum() * data.batch() * data.seqLen(); }

    /**
     * Runs steps until {@code s.steps()}; writes a checkpoint to {@code checkpointDir} (null: none) every
     * {@code every} steps (0: only at the end) and after the last step.
     */
    public Step run(Listener listener, Path checkpointDir, int every) throws IOException {
        Step last = null;
        while (step < s.steps()) {
            last = trainStep();
            if (listener != null) listener.step(last);
            if (checkpointDir != null && ((every > 0 && step % every == 0) || step == s.steps())) saveCheckpoint(checkpointDir);
        }
        return last;
    }

    /** One optimisation step. */
    public Step trainStep() {
        for (Var v : list) v.zeroGrad();
        Map<String, Double> parts = new LinkedHashMap<>();
        double loss = 0;
        int accum = s.gradAccum();
        Tensor seed = Tensor.scalar(1f / accum);
        for (int micro = 0; micro < accum; micro++) {
            long m = (long) step * accum + micro;
            onMicroBatch.accept(m);
            Tape tape = new Tape(k);
            Objective.Loss l = objective.loss(tape, data.get(m));
            double v = l.total().value().item();
            if (!Double.isFinite(v)) {
                tape.clear();
                for (Var p : list) p.zeroGrad();
                throw new NonFiniteLossException(step + 1, v);
            }
            tape.backward(l.total(), seed);
            loss += v / accum;
            l.parts().forEach((n, x) -> parts.merge(n, x / accum, Double::sum));
        }
        if (masks != null) masks.maskGradients();
        double norm = AdamW.clipGradNorm(list, s.clip());
        double lr = s.rate(step);
        opt.step(lr);
        if (masks != null) masks.maskWeights();
        for (Var v : list) v.zeroGrad();
        step++;
        lastLoss = loss;
        return new Step(step, loss, parts, lr, norm, step * tokensPerStep());
    }

    // ------------------------------------------------------------------ checkpoints

    /** Writes the resumable state to {@code dir} (atomically replacing what is there). */
    public void saveCheckpoint(Path dir) throws IOException {
        Checkpoint.save(dir, new Checkpoint.State(runId, step, (long) step * s.gradAccum(), s.seed(), lastLoss, Map.of()), params, opt);
    }

    /**
     * Continues from the checkpoint in {@code dir}: parameters, moments, step and data position. A checkpoint of
     * another run (other teacher, student, data or recipe) is an {@link IllegalArgumentException} saying so; one
     * already past {@code steps} too.
     */
    public void resume(Path dir) throws IOException {
        Checkpoint.State st = Checkpoint.readState(dir);
        if (!runId.equals(st.runId()))
            throw new IllegalArgumentException(dir + ": a checkpoint of another run (run id " + st.runId() + ", this run is " + runId
                    + "): the student, teacher, data or recipe differ; only --steps may change on --resume");
        if (st.step() > s.steps()) throw new IllegalArgumentException(dir + ": the checkpoint is at step " + st.step() + ", past --steps " + s.steps());
        if (st.dataPosition() != (long) st.step() * s.gradAccum()) throw new IllegalArgumentException(dir + ": data position " + st.dataPosition() + " does not match step " + st.step());
        Checkpoint.restore(dir, st, params, opt);
        step = st.step();
        lastLoss = st.loss();
    }

    public String runId() { return runId; }

    /** SHA-256 over the recipe, the data fingerprint and the initial parameter values, first 16 hex digits. */
    private static String runId(String recipe, Batches data, Map<String, Var> params) {
        return fingerprint(recipe + " " + data.fingerprint(), params);
    }

    /** SHA-256 over {@code text} and the names and values of {@code params}, first 16 hex digits (identifies frozen bases too). */
    public static String fingerprint(String text, Map<String, Var> params) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 16);
            for (Map.Entry<String, Var> e : params.entrySet()) {
                md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                for (float f : e.getValue().value().toFloatArray()) {
                    if (!buf.hasRemaining()) {
                        md.update(buf.flip());
                        buf.clear();
                    }
                    buf.putInt(Float.floatToRawIntBits(f));
                }
            }
            md.update(buf.flip());
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
