package org.prune4j.api;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.calibration.CalibrationData;
import org.prune4j.pruning.structured.Aggregation;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.StructuredPruner;
import org.prune4j.pruning.structured.Targets;
import org.prune4j.pruning.structured.gradient.Taylor;
import org.prune4j.pruning.structured.scop.ScopFdr;
import org.prune4j.pruning.structured.scop.ScopSelection;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;

/**
 * Structured pruning ({@code prune --target}): score units with a structured criterion, plan (or apply a saved
 * plan), write the smaller model. Plan in ({@code plan}) and plan out ({@code planOut}) make scoring and writing
 * separable steps; scop's {@code --fdr} decides the shapes from the data.
 */
public final class PruneStructured {
    private PruneStructured() {}

    /** The options parsed: every rule of the flags checked, in the command's order. */
    private record Parsed(Targets targets, Planner.Options planner, Aggregation seq, Aggregation batch, Map<String, String> criterionOptions,
                          CalibrationData.Sampling sampling) {}

    /**
     * Runs {@code o} computing with {@code k}; bad options throw {@link Prune4jException.InvalidOptions} before
     * anything is read.
     *
     * @param o the options
     * @param k the kernels the dense model computes with while scoring
     * @param listener where the log lines go
     * @return the plan and, when written, the output's files and parameters
     */
    public static StructuredPruner.Result run(StructuredPruneOptions o, Kernels k, ProgressListener listener) {
        Parsed p = parse(o);
        PrintStream log = listener.asPrintStream();
        try {
            ModelConfig cfg = ModelConfig.read(o.model());
            if (o.out() != null && !o.force() && Files.exists(o.out()))
                throw new Prune4jException.BadInput(o.out() + ": output folder already exists (choose another path or add --force)", null);
            try (SafeTensors st = SafeTensors.open(o.model())) {
                int len = o.seqLen() != null ? o.seqLen() : Math.min(2048, cfg.maxPositionEmbeddings());
                Supplier<int[][]> windows = () -> {
                    if (o.calib() == null) throw new StructuredException("--method " + o.method() + " needs calibration data: give --calib FILE");
                    try {
                        Tokenizer tok = CalibrationData.isTokenFile(o.calib()) ? null : Tokenizers.load(o.model());
                        int[] ids = CalibrationData.tokens(o.calib(), tok, o.docSeparator(), cfg.vocabSize());
                        int[][] w = CalibrationData.windows(ids, o.calibSamples(), len, p.sampling(), o.seed(), o.calib().toString());
                        log.println("structured: calibration " + w.length + " windows x " + len + " tokens of " + o.calib().getFileName()
                                + " (" + p.sampling().name().toLowerCase(Locale.ROOT) + ")");
                        return w;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                };
                Targets targets = p.targets();
                Path planIn = o.plan();
                boolean fdr = o.fdr() != null;
                if (fdr) {
                    planIn = ScopFdrPlan.plan(o, cfg, st, k, windows, p.criterionOptions(), p.planner(), log);
                    targets = Targets.parse(List.of());
                }
                StructuredPruner.Job job = new StructuredPruner.Job(fdr ? null : o.method(), targets, p.planner(), planIn, fdr ? null : o.planOut(), windows,
                        o.batch(), p.seq(), p.batch(), o.seed(), p.criterionOptions(), o.out(), o.force(),
                        Prune.metadata(o.method() == null ? "mean-pool" : o.method(), fdr ? "fdr " + o.fdr() + " " + o.unit() : o.plan() != null ? "plan" : targets.describe()), o.hfPad());
                return StructuredPruner.run(o.model(), cfg, TensorSource.of(st), () -> LlamaModel.load(st, cfg, k), k, job, log); // k: minitron may stream layers
            }
        } catch (UncheckedIOException e) {
            throw Prune4jException.wrap(e.getCause());
        } catch (IOException | RuntimeException e) {
            throw Prune4jException.wrap(e);
        }
    }

    /** Every rule of the flags alone, in the order the command has always checked them. */
    private static Parsed parse(StructuredPruneOptions o) {
        Targets targets;
        Planner.Options planner;
        Aggregation seq, batchAgg;
        Map<String, String> copts = new LinkedHashMap<>();
        try {
            targets = Targets.parse(o.targets());
            planner = new Planner.Options(Planner.KvReduce.parse(o.kvReduce()), Planner.Allocation.parse(o.allocation()), o.contiguous());
            seq = Aggregation.parse(o.aggSeq(), "--agg-seq");
            batchAgg = Aggregation.parse(o.aggBatch(), "--agg-batch");
            for (String kv : o.criterionOptions()) {
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new StructuredException("--criterion-option " + kv + ": expected KEY=VALUE");
                copts.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            if (o.taylor() != null) copts.put("taylor", Taylor.Variant.parse(o.taylor()).name().toLowerCase(Locale.ROOT));
            if (o.groupAgg() != null) copts.put("group-agg", Taylor.GroupAgg.parse(o.groupAgg()).name().toLowerCase(Locale.ROOT));
            if ((o.taylor() != null || o.groupAgg() != null) && !"taylor".equals(o.method()))
                throw new StructuredException("--taylor and --group-agg are options of --method taylor");
            if (o.iterative() != null) {
                if (!"michel".equals(o.method())) throw new StructuredException("--iterative is an option of --method michel");
                if (o.iterative() < 1) throw new StructuredException("--iterative must be at least 1 step, got " + o.iterative());
                if (!targets.has(Targets.HEADS)) throw new StructuredException("--iterative removes heads: give --target num_attention_heads=N");
                copts.put("iterative", String.valueOf(o.iterative()));
            }
            scopOptions(o, copts);
        } catch (PruningException e) { // StructuredException is one
            throw new Prune4jException.InvalidOptions(e.getMessage());
        }
        if (!o.depthMetric().equals("bi") && !o.depthMetric().equals("loss"))
            throw new Prune4jException.InvalidOptions("--depth-metric must be bi or loss, got '" + o.depthMetric() + "'");
        copts.put("depth-metric", o.depthMetric());
        if (o.batch() < 1) throw new Prune4jException.InvalidOptions("--batch must be >= 1, got " + o.batch());
        if (o.contiguous() && !targets.has(Targets.LAYERS)) throw new Prune4jException.InvalidOptions("--contiguous needs --target num_hidden_layers=N");
        if (o.out() == null && o.planOut() == null) throw new Prune4jException.InvalidOptions("give --out DIR (and/or --plan-out FILE)");
        if (o.hfPad() && o.plan() == null && planner.allocation() == Planner.Allocation.UNIFORM)
            throw new Prune4jException.InvalidOptions("--hf-pad pads per-layer shapes, which --allocation uniform does not make (its config is a plain"
                    + " one already): add --allocation global, or apply a --plan that has them");
        CalibrationData.Sampling how;
        try {
            how = CalibrationData.Sampling.parse(o.calibSampling());
        } catch (RuntimeException e) {
            throw new Prune4jException.InvalidOptions(e.getMessage());
        }
        return new Parsed(targets, planner, seq, batchAgg, copts, how);
    }

    /** scop's flags as its criterion options; refused with another method. */
    private static void scopOptions(StructuredPruneOptions o, Map<String, String> copts) {
        boolean any = o.scopLoss() != null || o.scopStatistic() != null || o.scopSteps() != null || o.scopLr() != null || o.fdr() != null || o.unit() != null;
        if (any && !"scop".equals(o.method()))
            throw new StructuredException("--fdr, --unit and --scop-* belong to --method scop" + (o.method() == null ? "" : ", not " + o.method()));
        if (o.scopLoss() != null) copts.put("scop-loss", o.scopLoss());
        if (o.scopStatistic() != null) copts.put("scop-statistic", o.scopStatistic());
        if (o.scopSteps() != null) copts.put("scop-steps", String.valueOf(o.scopSteps()));
        if (o.scopLr() != null) copts.put("scop-lr", String.valueOf(o.scopLr()));
        if (o.fdr() != null) {
            ScopSelection.checkQ(o.fdr());
            if (!o.targets().isEmpty() || o.plan() != null) throw new StructuredException("--fdr decides the shapes from the data; it cannot be combined with --target or --plan");
            if (o.unit() == null) throw new StructuredException("--fdr needs --unit neurons|heads|channels (the units to test)");
            ScopFdr.parseUnit(o.unit());
        } else if (o.unit() != null) throw new StructuredException("--unit goes with --fdr Q");
    }
}
