package org.prune4j.api;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code prune --target}'s flags with its defaults, so an application runs exactly what the command runs.
 *
 * <p>{@code --method} (null only for mean-pooling alone, a plan, or with {@code --fdr}), {@code --target KEY=VALUE}...,
 * {@code --plan} / {@code --plan-out}, {@code --kv-reduce} (mean-pool), {@code --allocation} (uniform),
 * {@code --agg-seq} (mean), {@code --agg-batch} (l2), {@code --depth-metric} (bi), {@code --contiguous},
 * {@code --batch} (8), {@code --criterion-option KEY=VALUE}..., taylor's {@code --taylor} and {@code --group-agg},
 * michel's {@code --iterative}, scop's {@code --fdr}, {@code --unit}, {@code --scop-loss}, {@code --scop-statistic},
 * {@code --scop-steps} and {@code --scop-lr} (null: the criterion's default), calibration as in {@link PruneOptions}
 * (128 random windows of min(2048, max positions), seed 0), {@code --out} (may be null with a plan-out),
 * {@code --force}, and {@code hfPad} ({@code --hf-pad}: per-layer shapes written zero-padded to the widest layer, a plain Hugging
 * Face config computing the same function). Every rule is checked by {@link PruneStructured#run}, in the command's order; build one with
 * {@link #builder}.
 *
 * @param model the dense model folder ({@code --model})
 * @param method the structured criterion ({@code --method}), or null
 * @param targets the new sizes, {@code KEY=VALUE} ({@code --target})
 * @param plan a saved plan to apply instead of scoring ({@code --plan}), or null
 * @param planOut where to save the plan ({@code --plan-out}), or null
 * @param kvReduce {@code mean-pool} or {@code prune} ({@code --kv-reduce})
 * @param allocation {@code uniform} or {@code global} ({@code --allocation})
 * @param aggSeq minitron's reduction over positions ({@code --agg-seq})
 * @param aggBatch minitron's reduction over windows ({@code --agg-batch})
 * @param depthMetric {@code bi} or {@code loss} ({@code --depth-metric})
 * @param contiguous drop one block of consecutive layers ({@code --contiguous})
 * @param batch calibration windows per pass ({@code --batch})
 * @param criterionOptions options of the criterion, {@code KEY=VALUE} ({@code --criterion-option})
 * @param taylor taylor's salience variant ({@code --taylor}), or null
 * @param groupAgg taylor's group aggregation ({@code --group-agg}), or null
 * @param iterative michel's number of steps ({@code --iterative}), or null
 * @param fdr scop's false-discovery rate ({@code --fdr}), or null
 * @param unit the units scop's FDR mode tests ({@code --unit}), or null
 * @param scopLoss scop's gate loss ({@code --scop-loss}), or null
 * @param scopStatistic scop's statistic ({@code --scop-statistic}), or null
 * @param scopSteps scop's batches ({@code --scop-steps}), or null
 * @param scopLr scop's gate learning rate ({@code --scop-lr}), or null
 * @param calib calibration data ({@code --calib}), or null
 * @param docSeparator document separator of the calibration text ({@code --doc-separator}), or null
 * @param calibSamples calibration windows ({@code --calib-samples})
 * @param seqLen tokens per window ({@code --seq-len}); null: min(2048, max positions)
 * @param calibSampling {@code first} or {@code random} ({@code --calib-sampling})
 * @param seed seed of random windows and of {@code --method random} ({@code --seed})
 * @param out the output folder ({@code --out}), or null with a plan-out
 * @param force replace an existing output folder ({@code --force})
 * @param hfPad write per-layer shapes zero-padded to a plain Hugging Face config
 */
public record StructuredPruneOptions(Path model, String method, List<String> targets, Path plan, Path planOut, String kvReduce, String allocation,
                                     String aggSeq, String aggBatch, String depthMetric, boolean contiguous, int batch, List<String> criterionOptions,
                                     String taylor, String groupAgg, Integer iterative, Double fdr, String unit,
                                     String scopLoss, String scopStatistic, Integer scopSteps, Double scopLr,
                                     Path calib, String docSeparator, int calibSamples, Integer seqLen, String calibSampling, long seed, Path out, boolean force,
                                     boolean hfPad) {
    /** Fills the CLI's defaults for null strings and copies the lists. */
    public StructuredPruneOptions {
        if (model == null) throw new Prune4jException.InvalidOptions("give the model folder (--model)");
        targets = List.copyOf(targets == null ? List.of() : targets);
        criterionOptions = List.copyOf(criterionOptions == null ? List.of() : criterionOptions);
        if (kvReduce == null) kvReduce = "mean-pool";
        if (allocation == null) allocation = "uniform";
        if (aggSeq == null) aggSeq = "mean";
        if (aggBatch == null) aggBatch = "l2";
        if (depthMetric == null) depthMetric = "bi";
        if (calibSampling == null) calibSampling = "random";
    }

    /**
     * {@code targets} ("num_attention_heads=16", ...) scored by {@code method} on {@code calib}, written to {@code out}; the rest at the CLI's defaults.
     *
     * @param model the dense model folder
     * @param method the structured criterion, or null for mean-pooling alone
     * @param targets the new sizes, {@code KEY=VALUE}
     * @param calib calibration data, or null for data-free criteria
     * @param out the output folder
     * @return the options
     */
    public static StructuredPruneOptions of(Path model, String method, List<String> targets, Path calib, Path out) {
        return builder(model).method(method).targets(targets).calib(calib).out(out).build();
    }

    /**
     * The CLI's defaults for pruning {@code model}, changed one flag at a time.
     *
     * @param model the dense model folder
     * @return a builder
     */
    public static Builder builder(Path model) {
        return new Builder(model);
    }

    /** The CLI's defaults, changed one flag at a time; each setter is the flag of the same name. */
    public static final class Builder {
        private final Path model;
        private String method, kvReduce = "mean-pool", allocation = "uniform", aggSeq = "mean", aggBatch = "l2", depthMetric = "bi";
        private final List<String> targets = new ArrayList<>(), criterionOptions = new ArrayList<>();
        private Path plan, planOut, calib, out;
        private boolean contiguous, force, hfPad;
        private int batch = 8, calibSamples = 128;
        private String taylor, groupAgg, unit, scopLoss, scopStatistic, docSeparator, calibSampling = "random";
        private Integer iterative, scopSteps, seqLen;
        private Double fdr, scopLr;
        private long seed;

        Builder(Path model) {
            this.model = model;
        }

        /**
         * Sets {@code --method}.
         * @param v the value
         * @return this builder
         */
        public Builder method(String v) { method = v; return this; }
        /**
         * Sets every {@code --target KEY=VALUE}, replacing earlier ones.
         * @param v the targets
         * @return this builder
         */
        public Builder targets(List<String> v) { targets.clear(); if (v != null) targets.addAll(v); return this; }
        /**
         * Adds one {@code --target KEY=VALUE}.
         * @param v the target
         * @return this builder
         */
        public Builder target(String v) { targets.add(v); return this; }
        /**
         * Sets {@code --plan}.
         * @param v the value
         * @return this builder
         */
        public Builder plan(Path v) { plan = v; return this; }
        /**
         * Sets {@code --plan-out}.
         * @param v the value
         * @return this builder
         */
        public Builder planOut(Path v) { planOut = v; return this; }
        /**
         * Sets {@code --kv-reduce}.
         * @param v the value
         * @return this builder
         */
        public Builder kvReduce(String v) { kvReduce = v; return this; }
        /**
         * Sets {@code --allocation}.
         * @param v the value
         * @return this builder
         */
        public Builder allocation(String v) { allocation = v; return this; }
        /**
         * Sets {@code --agg-seq}.
         * @param v the value
         * @return this builder
         */
        public Builder aggSeq(String v) { aggSeq = v; return this; }
        /**
         * Sets {@code --agg-batch}.
         * @param v the value
         * @return this builder
         */
        public Builder aggBatch(String v) { aggBatch = v; return this; }
        /**
         * Sets {@code --depth-metric}.
         * @param v the value
         * @return this builder
         */
        public Builder depthMetric(String v) { depthMetric = v; return this; }
        /**
         * Sets {@code --contiguous}.
         * @param v the value
         * @return this builder
         */
        public Builder contiguous(boolean v) { contiguous = v; return this; }
        /**
         * Sets {@code --batch}.
         * @param v the value
         * @return this builder
         */
        public Builder batch(int v) { batch = v; return this; }
        /**
         * Sets every {@code --criterion-option KEY=VALUE}, replacing earlier ones.
         * @param v the options
         * @return this builder
         */
        public Builder criterionOptions(List<String> v) { criterionOptions.clear(); if (v != null) criterionOptions.addAll(v); return this; }
        /**
         * Adds one {@code --criterion-option KEY=VALUE}.
         * @param key the option's name
         * @param value its value
         * @return this builder
         */
        public Builder criterionOption(String key, String value) { criterionOptions.add(key + "=" + value); return this; }
        /**
         * Sets {@code --taylor}.
         * @param v the value
         * @return this builder
         */
        public Builder taylor(String v) { taylor = v; return this; }
        /**
         * Sets {@code --group-agg}.
         * @param v the value
         * @return this builder
         */
        public Builder groupAgg(String v) { groupAgg = v; return this; }
        /**
         * Sets {@code --iterative}.
         * @param v the value
         * @return this builder
         */
        public Builder iterative(Integer v) { iterative = v; return this; }
        /**
         * Sets {@code --fdr}.
         * @param v the value
         * @return this builder
         */
        public Builder fdr(Double v) { fdr = v; return this; }
        /**
         * Sets {@code --unit}.
         * @param v the value
         * @return this builder
         */
        public Builder unit(String v) { unit = v; return this; }
        /**
         * Sets {@code --scop-loss}.
         * @param v the value
         * @return this builder
         */
        public Builder scopLoss(String v) { scopLoss = v; return this; }
        /**
         * Sets {@code --scop-statistic}.
         * @param v the value
         * @return this builder
         */
        public Builder scopStatistic(String v) { scopStatistic = v; return this; }
        /**
         * Sets {@code --scop-steps}.
         * @param v the value
         * @return this builder
         */
        public Builder scopSteps(Integer v) { scopSteps = v; return this; }
        /**
         * Sets {@code --scop-lr}.
         * @param v the value
         * @return this builder
         */
        public Builder scopLr(Double v) { scopLr = v; return this; }
        /**
         * Sets {@code --calib}.
         * @param v the value
         * @return this builder
         */
        public Builder calib(Path v) { calib = v; return this; }
        /**
         * Sets {@code --doc-separator}.
         * @param v the value
         * @return this builder
         */
        public Builder docSeparator(String v) { docSeparator = v; return this; }
        /**
         * Sets {@code --calib-samples}.
         * @param v the value
         * @return this builder
         */
        public Builder calibSamples(int v) { calibSamples = v; return this; }
        /**
         * Sets {@code --seq-len}.
         * @param v the value
         * @return this builder
         */
        public Builder seqLen(Integer v) { seqLen = v; return this; }
        /**
         * Sets {@code --calib-sampling}.
         * @param v the value
         * @return this builder
         */
        public Builder calibSampling(String v) { calibSampling = v; return this; }
        /**
         * Sets {@code --seed}.
         * @param v the value
         * @return this builder
         */
        public Builder seed(long v) { seed = v; return this; }
        /**
         * Sets {@code --out}.
         * @param v the value
         * @return this builder
         */
        public Builder out(Path v) { out = v; return this; }
        /**
         * Sets {@code --force}.
         * @param v the value
         * @return this builder
         */
        public Builder force(boolean v) { force = v; return this; }
        /**
         * Asks for a zero-padded Hugging Face layout of per-layer shapes.
         * @param v the value
         * @return this builder
         */
        public Builder hfPad(boolean v) { hfPad = v; return this; }

        /**
         * Checks nothing yet ({@link PruneStructured#run} does).
         * @return the options
         */
        public StructuredPruneOptions build() {
            return new StructuredPruneOptions(model, method, targets, plan, planOut, kvReduce, allocation, aggSeq, aggBatch, depthMetric, contiguous, batch,
                    criterionOptions, taylor, groupAgg, iterative, fdr, unit, scopLoss, scopStatistic, scopSteps, scopLr,
                    calib, docSeparator, calibSamples, seqLen, calibSampling, seed, out, force, hfPad);
        }
    }
}
