package org.prune4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.calibration.CalibrationData;
import org.prune4j.pruning.structured.Aggregation;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.StructuredPruner;
import org.prune4j.pruning.structured.Targets;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;

/**
 * {@code prune --target ...} / {@code prune --plan ...}: the structured run behind the prune command (score on
 * the dense model, plan, write the smaller model) and its report: per layer what was kept, parameters before and
 * after, seconds, peak memory.
 */
final class StructuredPruneRun {
    private StructuredPruneRun() {}

    static int run(PruneCommand c, StructuredOptions s) throws IOException {
        Targets targets;
        Planner.Options opts;
        Aggregation seq, batchAgg;
        Map<String, String> copts = new LinkedHashMap<>();
        try {
            targets = Targets.parse(s.targets);
            opts = new Planner.Options(Planner.KvReduce.parse(s.kvReduce), Planner.Allocation.parse(s.allocation), s.contiguous);
            seq = Aggregation.parse(s.aggSeq, "--agg-seq");
            batchAgg = Aggregation.parse(s.aggBatch, "--agg-batch");
            for (String kv : s.criterionOptions) {
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new StructuredException("--criterion-option " + kv + ": expected KEY=VALUE");
                copts.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            if (s.taylor != null) copts.put("taylor", org.prune4j.pruning.structured.gradient.Taylor.Variant.parse(s.taylor).name().toLowerCase(java.util.Locale.ROOT));
            if (s.groupAgg != null) copts.put("group-agg", org.prune4j.pruning.structured.gradient.Taylor.GroupAgg.parse(s.groupAgg).name().toLowerCase(java.util.Locale.ROOT));
            if ((s.taylor != null || s.groupAgg != null) && !"taylor".equals(c.method)) throw new StructuredException("--taylor and --group-agg are options of --method taylor");
            if (s.iterative != null) {
                if (!"michel".equals(c.method)) throw new StructuredException("--iterative is an option of --method michel");
                if (s.iterative < 1) throw new StructuredException("--iterative must be at least 1 step, got " + s.iterative);
                if (!targets.has(Targets.HEADS)) throw new StructuredException("--iterative removes heads: give --target num_attention_heads=N");
                copts.put("iterative", String.valueOf(s.iterative));
            }
            scopOptions(c, s, copts);
        } catch (org.prune4j.pruning.PruningException e) { // StructuredException is one
            throw c.usage(e.getMessage());
        }
        if (!s.depthMetric.equals("bi") && !s.depthMetric.equals("loss")) throw c.usage("--depth-metric must be bi or loss, got '" + s.depthMetric + "'");
        copts.put("depth-metric", s.depthMetric);
        copts.put(StructuredPruner.STREAM, s.streamLayers);
        if (s.batch < 1) throw c.usage("--batch must be >= 1, got " + s.batch);
        if (c.target.sparsity != null || c.target.nm != null || c.ratios != null)
            throw c.usage("--sparsity/--nm/--ratios are unstructured; structured runs take --target KEY=VALUE (or --plan)");
        if (s.contiguous && !targets.has(Targets.LAYERS)) throw c.usage("--contiguous needs --target num_hidden_layers=N");
        if (c.out == null && s.planOut == null) throw c.usage("give --out DIR (and/or --plan-out FILE)");
        CalibrationData.Sampling how;
        try {
            how = CalibrationData.Sampling.parse(c.sampling);
        } catch (RuntimeException e) {
            throw c.usage(e.getMessage());
        }

        ModelConfig cfg = ModelConfig.read(c.model);
        if (c.out != null && !c.force && Files.exists(c.out)) throw new IOException(c.out + ": output folder already exists (choose another path or add --force)");
        Kernels k = c.device.kernels();
        long t0 = System.nanoTime();
        try (SafeTensors st = SafeTensors.open(c.model)) {
            int len = c.seqLen != null ? c.seqLen : Math.min(2048, cfg.maxPositionEmbeddings());
            java.util.function.Supplier<int[][]> windows = () -> {
                if (c.calib == null) throw new StructuredException("--method " + c.method + " needs calibration data: give --calib FILE");
                try {
                    Tokenizer tok = CalibrationData.isTokenFile(c.calib) ? null : Tokenizers.load(c.model);
                    int[] ids = CalibrationData.tokens(c.calib, tok, c.docSeparator, cfg.vocabSize());
                    int[][] w = CalibrationData.windows(ids, c.samples, len, how, c.seed, c.calib.toString());
                    c.common.log().println("structured: calibration " + w.length + " windows x " + len + " tokens of " + c.calib.getFileName()
                            + " (" + how.name().toLowerCase(Locale.ROOT) + ")");
                    return w;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            Path planIn = s.plan;
            if (s.fdr != null) {
                try {
                    planIn = ScopFdrRun.plan(c, s, cfg, st, k, windows, copts, opts.allocation(), opts);
                } catch (java.io.UncheckedIOException e) {
                    throw e.getCause();
                }
                targets = Targets.parse(List.of());
            }
            StructuredPruner.Job job = new StructuredPruner.Job(s.fdr != null ? null : c.method, targets, opts, planIn, s.fdr != null ? null : s.planOut, windows,
                    s.batch, seq, batchAgg, c.seed, copts, c.out, c.force,
                    Map.of("pruned_by", "prune4j", "method", c.method == null ? "mean-pool" : c.method, "target", s.fdr != null ? "fdr " + s.fdr + " " + s.unit : s.plan != null ? "plan" : targets.describe()), s.hfPad);
            StructuredPruner.Result r;
            try {
                r = StructuredPruner.run(c.model, cfg, TensorSource.of(st), () -> LlamaModel.load(st, cfg, k), k, job, c.common.log());
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            }
            report(c, r, (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }

    /** The --scop-* flags as scop's criterion options; refused with another --method. */
    private static void scopOptions(PruneCommand c, StructuredOptions s, Map<String, String> copts) {
        boolean any = s.scopLoss != null || s.scopStatistic != null || s.scopSteps != null || s.scopLr != null || s.fdr != null || s.unit != null;
        if (any && !"scop".equals(c.method))
            throw new StructuredException("--fdr, --unit and --scop-* belong to --method scop" + (c.method == null ? "" : ", not " + c.method));
        if (s.scopLoss != null) copts.put("scop-loss", s.scopLoss);
        if (s.scopStatistic != null) copts.put("scop-statistic", s.scopStatistic);
        if (s.scopSteps != null) copts.put("scop-steps", String.valueOf(s.scopSteps));
        if (s.scopLr != null) copts.put("scop-lr", String.valueOf(s.scopLr));
        if (s.fdr != null) {
            org.prune4j.pruning.structured.scop.ScopSelection.checkQ(s.fdr);
            if (!s.targets.isEmpty() || s.plan != null) throw new StructuredException("--fdr decides the shapes from the data; it cannot be combined with --target or --plan");
            if (s.unit == null) throw new StructuredException("--fdr needs --unit neurons|heads|channels (the units to test)");
            org.prune4j.pruning.structured.scop.ScopFdr.parseUnit(s.unit);
        } else if (s.unit != null) throw new StructuredException("--unit goes with --fdr Q");
    }

    private static void report(PruneCommand c, StructuredPruner.Result r, double seconds) {
        long rss = PeakMemory.peakRssBytes(), heap = PeakMemory.peakHeapBytes();
        Plan p = r.plan();
        StringBuilder text = new StringBuilder();
        List<Object> layers = new ArrayList<>();
        text.append(String.format(Locale.ROOT, "criterion %s; hidden %d -> %d; layers %d -> %d%n", p.criterion(), p.source().hiddenSize(), p.hiddenSize(),
                p.source().numLayers(), p.numLayers()));
        for (int i = 0; i < p.layers().size(); i++) {
            Plan.LayerPlan l = p.layers().get(i);
            int src = l.source();
            text.append(String.format(Locale.ROOT, "layer %2d (was %2d): heads %d -> %d, kv heads %d -> %d%s, intermediate %d -> %d%n", i, src,
                    p.source().heads()[src], l.numHeads(), p.source().kvHeads()[src], l.numKvHeads(), l.meanPools() ? " (mean-pooled)" : "",
                    p.source().intermediate()[src], l.intermediateSize()));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("layer", (long) i);
            m.put("source_layer", (long) src);
            m.put("heads", l.heads());
            List<Object> kv = new ArrayList<>();
            for (int[] g : l.kv()) kv.add(g);
            m.put("kv_heads", kv);
            m.put("num_attention_heads", (long) l.numHeads());
            m.put("num_key_value_heads", (long) l.numKvHeads());
            m.put("intermediate_size", (long) l.intermediateSize());
            layers.add(m);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("method", p.criterion());
        json.put("targets", p.targets());
        json.put("hidden_size", (long) p.hiddenSize());
        json.put("num_hidden_layers", (long) p.numLayers());
        json.put("layers", layers);
        if (r.output() != null) {
            json.put("params_before", r.output().paramsBefore());
            json.put("params_after", r.output().paramsAfter());
            json.put("out", c.out.toString());
            json.put("files", r.output().files());
            text.append(String.format(Locale.ROOT, "parameters %,d -> %,d (%.1f%%)%n", r.output().paramsBefore(), r.output().paramsAfter(),
                    100.0 * r.output().paramsAfter() / r.output().paramsBefore()));
        }
        json.put("calibration_tokens", r.calibrationTokens());
        json.put("score_seconds", r.scoreSeconds());
        json.put("write_seconds", r.writeSeconds());
        json.put("seconds", seconds);
        json.put("peak_rss_bytes", rss);
        json.put("peak_heap_bytes", heap);
        text.append(String.format(Locale.ROOT, "time %.2f s (scoring %.2f s, writing %.2f s), peak RSS %s, peak heap %s%n", seconds, r.scoreSeconds(),
                r.writeSeconds(), PeakMemory.format(rss), PeakMemory.format(heap)));
        if (r.output() != null) text.append("wrote ").append(c.out).append(" (").append(String.join(", ", r.output().files())).append(")");
        c.common.emit(text.toString(), json);
    }
}
