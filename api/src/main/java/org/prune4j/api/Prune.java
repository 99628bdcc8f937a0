package org.prune4j.api;

import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.CheckpointPruner;
import org.prune4j.pruning.LinearPruner;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.Pruners;
import org.prune4j.pruning.SequentialPruner;
import org.prune4j.pruning.SparseGPTPruner;
import org.prune4j.pruning.Sparsity;
import org.prune4j.pruning.SparsityPlan;
import org.prune4j.pruning.calibration.CalibrationData;
import org.prune4j.pruning.calibration.Statistic;
import org.prune4j.tensor.Kernels;

/**
 * Unstructured and N:M pruning of a checkpoint ({@code prune --sparsity | --nm | --ratios}): the memory-mapped model
 * is calibrated layer by layer and streamed into a new folder that appears atomically. The method may be user code
 * ({@link Pruners}: a PrunerProvider name or a class implementing LinearPruner or Criterion).
 */
public final class Prune {
    private Prune() {}

    /**
     * What a run did.
     *
     * @param result per-linear reports and timings
     * @param plan the ratios applied
     * @param modelParams the checkpoint's parameters
     * @param files the files written
     * @param calibration what calibrated it, in words
     */
    public record Result(SequentialPruner.Result result, SparsityPlan plan, long modelParams, List<String> files, String calibration) {}

    /**
     * Prunes {@code o.model()} into {@code o.out()} computing with {@code k}.
     *
     * @param o the options
     * @param k what calibration and the pruners compute with
     * @param listener receives the pruner's log lines
     * @return the reports, ratios and files
     */
    public static Result unstructured(PruneOptions o, Kernels k, ProgressListener listener) {
        Sparsity fallback;
        CalibrationData.Sampling how;
        SparsityPlan plan;
        LinearPruner pruner;
        int threads = k.parallelism();
        try {
            fallback = o.nm() != null ? Sparsity.parseNM(o.nm(), o.nmTailDense()) : o.sparsity() != null ? new Sparsity.Unstructured(o.sparsity()) : null;
            how = CalibrationData.Sampling.parse(o.calibSampling());
            plan = o.ratios() != null ? SparsityPlan.read(o.ratios(), fallback) : SparsityPlan.uniform(fallback);
            pruner = o.method().equals("sparsegpt") ? new SparseGPTPruner(o.blockSize(), o.damp(), k, threads) : Pruners.create(o.method(), o.perRow(), k, threads);
        } catch (PruningException e) {
            throw new Prune4jException.InvalidOptions(e.getMessage());
        } catch (IOException e) {
            throw Prune4jException.wrap(e);
        }
        try {
            if (pruner.needs() != Statistic.NONE && o.calib() == null)
                throw new Prune4jException.InvalidOptions("--method " + o.method() + " needs calibration data: give --calib FILE");
            ModelConfig cfg = ModelConfig.read(o.model());
            if (!o.force() && Files.exists(o.out()))
                throw new Prune4jException.BadInput(o.out() + ": output folder already exists (choose another path or add --force)", null);
            try (SafeTensors st = SafeTensors.open(o.model())) {
                int[][] windows = null;
                String calibLine = "no calibration data (" + pruner.name() + " reads weights only)";
                if (pruner.needs() != Statistic.NONE) {
                    int len = o.seqLen() != null ? o.seqLen() : Math.min(2048, cfg.maxPositionEmbeddings());
                    Tokenizer tok = CalibrationData.isTokenFile(o.calib()) ? null : Tokenizers.load(o.model());
                    int[] ids = CalibrationData.tokens(o.calib(), tok, o.docSeparator(), cfg.vocabSize());
                    windows = CalibrationData.windows(ids, o.calibSamples(), len, how, o.seed(), o.calib().toString());
                    calibLine = windows.length + " windows x " + len + " tokens of " + o.calib().getFileName() + " (" + how.name().toLowerCase(Locale.ROOT)
                            + (how == CalibrationData.Sampling.RANDOM ? ", seed " + o.seed() : "") + ")";
                }
                listener.message("prune4j prune: " + o.method() + " " + plan.describe() + " of " + o.model() + "; calibration: " + calibLine);
                long modelParams = 0;
                for (var info : st.infos()) modelParams += info.numel();
                CheckpointPruner.Output out = CheckpointPruner.run(o.model(), cfg, st, windows,
                        new SequentialPruner.Options(pruner, plan, k, o.microBatch(), listener.asPrintStream()), o.out(), o.force(),
                        metadata(o.method(), plan.describe()), o.saveFormat());
                return new Result(out.result(), plan, modelParams, out.files(), calibLine);
            }
        } catch (IOException | RuntimeException e) {
            throw Prune4jException.wrap(e);
        }
    }

    /** The safetensors {@code __metadata__} of a pruned checkpoint, in a fixed order (Map.of's order changes from JVM to JVM, and with it the bytes). */
    static Map<String, String> metadata(String method, String target) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("pruned_by", "prune4j");
        m.put("method", method);
        m.put("target", target);
        return m;
    }
}
