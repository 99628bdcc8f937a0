package org.prune4j.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code prune --target}'s flags with its defaults: {@code --method} (null only for mean-pooling alone or with a
 * plan), {@code --target KEY=VALUE}..., {@code --plan} / {@code --plan-out}, {@code --kv-reduce} (mean-pool),
 * {@code --allocation} (uniform), {@code --agg-seq} (mean), {@code --agg-batch} (l2), {@code --depth-metric} (bi),
 * {@code --contiguous}, {@code --batch} (8), {@code --criterion-option}, calibration as in {@link PruneOptions}
 * (128 random windows of min(2048, max positions), seed 0), {@code --out} (may be null with a plan-out), {@code --force}.
 */
public record StructuredPruneOptions(Path model, String method, List<String> targets, Path plan, Path planOut, String kvReduce, String allocation,
                                     String aggSeq, String aggBatch, String depthMetric, boolean contiguous, int batch, Map<String, String> criterionOptions,
                                     Path calib, String docSeparator, int calibSamples, Integer seqLen, String calibSampling, long seed, Path out, boolean force) {
    public StructuredPruneOptions {
        if (model == null) throw new Prune4jException.InvalidOptions("give the model folder (--model)");
        targets = List.copyOf(targets == null ? List.of() : targets);
        criterionOptions = Map.copyOf(criterionOptions == null ? Map.of() : criterionOptions);
        if (batch < 1) throw new Prune4jException.InvalidOptions("--batch must be >= 1, got " + batch);
        if (calibSamples < 1) throw new Prune4jException.InvalidOptions("--calib-samples must be >= 1, got " + calibSamples);
        if (out == null && planOut == null) throw new Prune4jException.InvalidOptions("give --out DIR (and/or --plan-out FILE)");
        if (!depthMetric.equals("bi") && !depthMetric.equals("loss")) throw new Prune4jException.InvalidOptions("--depth-metric must be bi or loss, got '" + depthMetric + "'");
    }

    /** {@code targets} ("num_attention_heads=16", ...) scored by {@code method} on {@code calib}, written to {@code out}; the rest at the CLI's defaults. */
    public static StructuredPruneOptions of(Path model, String method, List<String> targets, Path calib, Path out) {
        return new StructuredPruneOptions(model, method, targets, null, null, "mean-pool", "uniform", "mean", "l2", "bi", false, 8, Map.of(),
                calib, null, 128, null, "random", 0, out, false);
    }
}
