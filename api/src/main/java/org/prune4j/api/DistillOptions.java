package org.prune4j.api;

import java.nio.file.Path;

/**
 * {@code distill}'s flags with its defaults, so an application distills exactly as the command does: each component
 * is the flag of the same name. {@link Distill#run} checks every rule, in the command's order and with its messages, before
 * training. Build one with {@link #builder}.
 *
 * @param teacher {@code --teacher}: the teacher model folder; null with --loss ce and no hidden loss
 * @param student {@code --student}: the student model folder (the pruned model); its tokenizer is used
 * @param data {@code --data}: training text or token ids
 * @param docSeparator {@code --doc-separator}: split the text into documents at this string, or null
 * @param out {@code --out}: the output model folder
 * @param force {@code --force}: replace an existing output folder
 * @param loss {@code --loss}: kl, reverse-kl or ce (default kl)
 * @param temperature {@code --temperature}: softmax temperature of both distributions (default 1)
 * @param alpha {@code --alpha}: loss = alpha * KD + (1 - alpha) * CE (default 1)
 * @param hiddenLoss {@code --hidden-loss}: none, cosine or mse (default none)
 * @param hiddenWeight {@code --hidden-weight}: weight of the hidden loss (default 1)
 * @param layerMap {@code --layer-map}: teacher layer of each student layer, comma-separated; null: the kept layers of {@code plan},
 *        else of the student's metadata that {@code prune --target} writes, else the identity when depths match
 * @param plan {@code --plan}: the structured plan the student was pruned with, for the default layer map; or null
 * @param seqLen {@code --seq-len}: window length in tokens (default 128)
 * @param batch {@code --batch}: windows per micro-batch (default 8)
 * @param gradAccum {@code --grad-accum}: micro-batches per optimizer step (default 1)
 * @param dataSampling {@code --data-sampling}: first or random (default first)
 * @param steps {@code --steps}: optimizer steps in all (default 100)
 * @param lr {@code --lr}: peak learning rate (default 1e-4)
 * @param minLr {@code --min-lr}: final rate of cosine and wsd (default 0)
 * @param schedule {@code --schedule}: constant, cosine or wsd (default cosine)
 * @param warmup {@code --warmup}: linear warm-up steps (default 0)
 * @param decaySteps {@code --decay-steps}: wsd's final decay; null: 20% of the steps
 * @param weightDecay {@code --weight-decay}: AdamW decoupled weight decay (default 0)
 * @param decayNorms {@code --decay-norms}: decay norm weights and biases too
 * @param beta1 {@code --beta1}: AdamW beta1 (default 0.9)
 * @param beta2 {@code --beta2}: AdamW beta2 (default 0.999)
 * @param eps {@code --eps}: AdamW epsilon (default 1e-8)
 * @param clip {@code --clip}: global gradient-norm limit, 0 = off (default 1.0)
 * @param seed {@code --seed}: seed of random windows and projections (default 42)
 * @param keepSparsity {@code --keep-sparsity}: keep zero weights zero; null: when the student's matrices hold zeros
 * @param teacherCache {@code --teacher-cache}: offline KD cache folder, or null
 * @param teacherTopK {@code --teacher-top-k}: teacher probabilities kept per position in the cache (default 64)
 * @param loraRank {@code --lora-rank}: train LoRA adapters of this rank; null: the weights
 * @param loraAlpha {@code --lora-alpha}: LoRA alpha (default 8)
 * @param loraTargets {@code --lora-targets}: linear layers that get adapters (default q,k,v,o,gate,up,down)
 * @param loraDropout {@code --lora-dropout}: dropout on the adapters' input (default 0)
 * @param loraSave {@code --lora-save}: also write the unmerged adapters as a PEFT folder, or null
 * @param checkpointDir {@code --checkpoint-dir}: where the latest resumable checkpoint is kept, or null
 * @param checkpointEvery {@code --checkpoint-every}: checkpoint every K steps; 0: only at the end (default 0)
 * @param resume {@code --resume}: continue from this checkpoint folder, or null
 * @param log {@code --log}: append one JSON line per step to this file, or null
 * @param eval {@code --eval}: text or token file for perplexity, or null
 * @param evalEvery {@code --eval-every}: evaluate every N steps; 0: before and after only (default 0)
 * @param evalWindows {@code --eval-windows}: first W windows of --eval (default 64)
 */
public record DistillOptions(Path teacher, Path student, Path data, String docSeparator, Path out, boolean force, String loss, float temperature,
                             double alpha, String hiddenLoss, double hiddenWeight, String layerMap, Path plan, int seqLen, int batch, int gradAccum,
                             String dataSampling, int steps, double lr, double minLr, String schedule, int warmup, Integer decaySteps,
                             double weightDecay, boolean decayNorms, double beta1, double beta2, double eps, double clip, long seed,
                             Boolean keepSparsity, Path teacherCache, int teacherTopK, Integer loraRank, double loraAlpha, String loraTargets,
                             double loraDropout, Path loraSave, Path checkpointDir, int checkpointEvery, Path resume, Path log, Path eval,
                             int evalEvery, int evalWindows) {
    /** Fills the command's defaults for null strings; the folders and the data are required. */
    public DistillOptions {
        if (student == null) throw new Prune4jException.InvalidOptions("give the student model folder (--student)");
        if (data == null) throw new Prune4jException.InvalidOptions("give the training data (--data)");
        if (out == null) throw new Prune4jException.InvalidOptions("give the output folder (--out)");
        if (loss == null) loss = "kl";
        if (hiddenLoss == null) hiddenLoss = "none";
        if (dataSampling == null) dataSampling = "first";
        if (schedule == null) schedule = "cosine";
        if (loraTargets == null) loraTargets = "q,k,v,o,gate,up,down";
    }

    /**
     * Distilling {@code student} on {@code data} into {@code out}, the rest at the command's defaults.
     *
     * @param student the student model folder
     * @param data the training text or token file
     * @param out the output model folder
     * @return a builder
     */
    public static Builder builder(Path student, Path data, Path out) {
        return new Builder(student, data, out);
    }

    /** The command's defaults, changed one flag at a time; each setter is the flag of the same name. */
    public static final class Builder {
        private Path teacher;
        private final Path student;
        private final Path data;
        private String docSeparator;
        private final Path out;
        private boolean force = false;
        private String loss = "kl";
        private float temperature = 1f;
        private double alpha = 1;
        private String hiddenLoss = "none";
        private double hiddenWeight = 1;
        private String layerMap;
        private Path plan;
        private int seqLen = 128;
        private int batch = 8;
        private int gradAccum = 1;
        private String dataSampling = "first";
        private int steps = 100;
        private double lr = 1e-4;
        private double minLr = 0;
        private String schedule = "cosine";
        private int warmup = 0;
        private Integer decaySteps;
        private double weightDecay = 0;
        private boolean decayNorms = false;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double clip = 1.0;
        private long seed = 42;
        private Boolean keepSparsity;
        private Path teacherCache;
        private int teacherTopK = 64;
        private Integer loraRank;
        private double loraAlpha = 8;
        private String loraTargets = "q,k,v,o,gate,up,down";
        private double loraDropout = 0;
        private Path loraSave;
        private Path checkpointDir;
        private int checkpointEvery = 0;
        private Path resume;
        private Path log;
        private Path eval;
        private int evalEvery = 0;
        private int evalWindows = 64;

        Builder(Path student, Path data, Path out) {
            this.student = student;
            this.data = data;
            this.out = out;
        }

        /**
         * Sets {@code --teacher}.
         * @param v the value
         * @return this builder
         */
        public Builder teacher(Path v) { teacher = v; return this; }
        /**
         * Sets {@code --doc-separator}.
         * @param v the value
         * @return this builder
         */
        public Builder docSeparator(String v) { docSeparator = v; return this; }
        /**
         * Sets {@code --force}.
         * @param v the value
         * @return this builder
         */
        public Builder force(boolean v) { force = v; return this; }
        /**
         * Sets {@code --loss}.
         * @param v the value
         * @return this builder
         */
        public Builder loss(String v) { loss = v; return this; }
        /**
         * Sets {@code --temperature}.
         * @param v the value
         * @return this builder
         */
        public Builder temperature(float v) { temperature = v; return this; }
        /**
         * Sets {@code --alpha}.
         * @param v the value
         * @return this builder
         */
        public Builder alpha(double v) { alpha = v; return this; }
        /**
         * Sets {@code --hidden-loss}.
         * @param v the value
         * @return this builder
         */
        public Builder hiddenLoss(String v) { hiddenLoss = v; return this; }
        /**
         * Sets {@code --hidden-weight}.
         * @param v the value
         * @return this builder
         */
        public Builder hiddenWeight(double v) { hiddenWeight = v; return this; }
        /**
         * Sets {@code --layer-map}.
         * @param v the value
         * @return this builder
         */
        public Builder layerMap(String v) { layerMap = v; return this; }
        /**
         * Sets {@code --plan}.
         * @param v the plan file, or null
         * @return this builder
         */
        public Builder plan(Path v) { plan = v; return this; }
        /**
         * Sets {@code --seq-len}.
         * @param v the value
         * @return this builder
         */
        public Builder seqLen(int v) { seqLen = v; return this; }
        /**
         * Sets {@code --batch}.
         * @param v the value
         * @return this builder
         */
        public Builder batch(int v) { batch = v; return this; }
        /**
         * Sets {@code --grad-accum}.
         * @param v the value
         * @return this builder
         */
        public Builder gradAccum(int v) { gradAccum = v; return this; }
        /**
         * Sets {@code --data-sampling}.
         * @param v the value
         * @return this builder
         */
        public Builder dataSampling(String v) { dataSampling = v; return this; }
        /**
         * Sets {@code --steps}.
         * @param v the value
         * @return this builder
         */
        public Builder steps(int v) { steps = v; return this; }
        /**
         * Sets {@code --lr}.
         * @param v the value
         * @return this builder
         */
        public Builder lr(double v) { lr = v; return this; }
        /**
         * Sets {@code --min-lr}.
         * @param v the value
         * @return this builder
         */
        public Builder minLr(double v) { minLr = v; return this; }
        /**
         * Sets {@code --schedule}.
         * @param v the value
         * @return this builder
         */
        public Builder schedule(String v) { schedule = v; return this; }
        /**
         * Sets {@code --warmup}.
         * @param v the value
         * @return this builder
         */
        public Builder warmup(int v) { warmup = v; return this; }
        /**
         * Sets {@code --decay-steps}.
         * @param v the value
         * @return this builder
         */
        public Builder decaySteps(Integer v) { decaySteps = v; return this; }
        /**
         * Sets {@code --weight-decay}.
         * @param v the value
         * @return this builder
         */
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        /**
         * Sets {@code --decay-norms}.
         * @param v the value
         * @return this builder
         */
        public Builder decayNorms(boolean v) { decayNorms = v; return this; }
        /**
         * Sets {@code --beta1}.
         * @param v the value
         * @return this builder
         */
        public Builder beta1(double v) { beta1 = v; return this; }
        /**
         * Sets {@code --beta2}.
         * @param v the value
         * @return this builder
         */
        public Builder beta2(double v) { beta2 = v; return this; }
        /**
         * Sets {@code --eps}.
         * @param v the value
         * @return this builder
         */
        public Builder eps(double v) { eps = v; return this; }
        /**
         * Sets {@code --clip}.
         * @param v the value
         * @return this builder
         */
        public Builder clip(double v) { clip = v; return this; }
        /**
         * Sets {@code --seed}.
         * @param v the value
         * @return this builder
         */
        public Builder seed(long v) { seed = v; return this; }
        /**
         * Sets {@code --keep-sparsity}.
         * @param v the value
         * @return this builder
         */
        public Builder keepSparsity(Boolean v) { keepSparsity = v; return this; }
        /**
         * Sets {@code --teacher-cache}.
         * @param v the value
         * @return this builder
         */
        public Builder teacherCache(Path v) { teacherCache = v; return this; }
        /**
         * Sets {@code --teacher-top-k}.
         * @param v the value
         * @return this builder
         */
        public Builder teacherTopK(int v) { teacherTopK = v; return this; }
        /**
         * Sets {@code --lora-rank}.
         * @param v the value
         * @return this builder
         */
        public Builder loraRank(Integer v) { loraRank = v; return this; }
        /**
         * Sets {@code --lora-alpha}.
         * @param v the value
         * @return this builder
         */
        public Builder loraAlpha(double v) { loraAlpha = v; return this; }
        /**
         * Sets {@code --lora-targets}.
         * @param v the value
         * @return this builder
         */
        public Builder loraTargets(String v) { loraTargets = v; return this; }
        /**
         * Sets {@code --lora-dropout}.
         * @param v the value
         * @return this builder
         */
        public Builder loraDropout(double v) { loraDropout = v; return this; }
        /**
         * Sets {@code --lora-save}.
         * @param v the value
         * @return this builder
         */
        public Builder loraSave(Path v) { loraSave = v; return this; }
        /**
         * Sets {@code --checkpoint-dir}.
         * @param v the value
         * @return this builder
         */
        public Builder checkpointDir(Path v) { checkpointDir = v; return this; }
        /**
         * Sets {@code --checkpoint-every}.
         * @param v the value
         * @return this builder
         */
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        /**
         * Sets {@code --resume}.
         * @param v the value
         * @return this builder
         */
        public Builder resume(Path v) { resume = v; return this; }
        /**
         * Sets {@code --log}.
         * @param v the value
         * @return this builder
         */
        public Builder log(Path v) { log = v; return this; }
        /**
         * Sets {@code --eval}.
         * @param v the value
         * @return this builder
         */
        public Builder eval(Path v) { eval = v; return this; }
        /**
         * Sets {@code --eval-every}.
         * @param v the value
         * @return this builder
         */
        public Builder evalEvery(int v) { evalEvery = v; return this; }
        /**
         * Sets {@code --eval-windows}.
         * @param v the value
         * @return this builder
         */
        public Builder evalWindows(int v) { evalWindows = v; return this; }

        /**
         * Builds the options ({@link Distill#run} checks them).
         * @return the options
         */
        public DistillOptions build() {
            return new DistillOptions(teacher, student, data, docSeparator, out, force, loss, temperature, alpha, hiddenLoss, hiddenWeight, layerMap,
                    plan, seqLen, batch, gradAccum, dataSampling, steps, lr, minLr, schedule, warmup, decaySteps, weightDecay,
                    decayNorms, beta1, beta2, eps, clip, seed, keepSparsity, teacherCache, teacherTopK, loraRank, loraAlpha,
                    loraTargets, loraDropout, loraSave, checkpointDir, checkpointEvery, resume, log, eval, evalEvery, evalWindows);
        }
    }
}
