package org.prune4j.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.calibration.CalibrationData;
import org.prune4j.pruning.structured.Aggregation;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.StructuredPruner;
import org.prune4j.pruning.structured.Targets;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;

/**
 * Structured pruning ({@code prune --target}): score units with a structured criterion, plan (or apply a saved
 * plan), write the smaller model. Plan in ({@code plan}) and plan out ({@code planOut}) make scoring and writing
 * separable steps.
 */
public final class PruneStructured {
    private PruneStructured() {}

    /** Runs {@code o} computing with {@code k}; the result holds the plan and, when written, the output's parameters. */
    public static StructuredPruner.Result run(StructuredPruneOptions o, Kernels k, ProgressListener listener) {
        Targets targets;
        Planner.Options opts;
        Aggregation seq, batchAgg;
        CalibrationData.Sampling how;
        Map<String, String> copts = new LinkedHashMap<>(o.criterionOptions());
        try {
            targets = Targets.parse(o.targets());
            opts = new Planner.Options(Planner.KvReduce.parse(o.kvReduce()), Planner.Allocation.parse(o.allocation()), o.contiguous());
            seq = Aggregation.parse(o.aggSeq(), "--agg-seq");
            batchAgg = Aggregation.parse(o.aggBatch(), "--agg-batch");
            how = CalibrationData.Sampling.parse(o.calibSampling());
        } catch (RuntimeException e) {
            throw new Prune4jException.InvalidOptions(e.getMessage());
        }
        copts.put("depth-metric", o.depthMetric());
        if (o.contiguous() && !targets.has(Targets.LAYERS)) throw new Prune4jException.InvalidOptions("--contiguous needs --target num_hidden_layers=N");
        try {
            ModelConfig cfg = ModelConfig.read(o.model());
            if (o.out() != null && !o.force() && Files.exists(o.out()))
                throw new Prune4jException.BadInput(o.out() + ": output folder already exists (choose another path or add --force)", null);
            try (SafeTensors st = SafeTensors.open(o.model())) {
                int len = o.seqLen() != null ? o.seqLen() : Math.min(2048, cfg.maxPositionEmbeddings());
                StructuredPruner.Job job = new StructuredPruner.Job(o.method(), targets, opts, o.plan(), o.planOut(), () -> {
                    if (o.calib() == null) throw new StructuredException("--method " + o.method() + " needs calibration data: give --calib FILE");
                    try {
                        Tokenizer tok = CalibrationData.isTokenFile(o.calib()) ? null : Tokenizers.load(o.model());
                        int[] ids = CalibrationData.tokens(o.calib(), tok, o.docSeparator(), cfg.vocabSize());
                        return CalibrationData.windows(ids, o.calibSamples(), len, how, o.seed(), o.calib().toString());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, o.batch(), seq, batchAgg, o.seed(), copts, o.out(), o.force(),
                        Map.of("pruned_by", "prune4j", "method", o.method() == null ? "mean-pool" : o.method(), "target", o.plan() != null ? "plan" : targets.describe()));
                return StructuredPruner.run(o.model(), cfg, TensorSource.of(st), () -> LlamaModel.load(st, cfg, k), job, listener.asPrintStream());
            }
        } catch (UncheckedIOException e) {
            throw Prune4jException.wrap(e.getCause());
        } catch (IOException | RuntimeException e) {
            throw Prune4jException.wrap(e);
        }
    }
}
