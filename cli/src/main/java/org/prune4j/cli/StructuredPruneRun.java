package org.prune4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.prune4j.api.Prune4jException;
import org.prune4j.api.ProgressListener;
import org.prune4j.api.PruneStructured;
import org.prune4j.api.StructuredPruneOptions;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.StructuredPruner;
import org.prune4j.tensor.Kernels;

/**
 * {@code prune --target ...} / {@code prune --plan ...}: the flags as {@link StructuredPruneOptions}, the run by
 * {@link PruneStructured} (score on the dense model, plan, write the smaller model), and its report: per layer what
 * was kept, parameters before and after, seconds, peak memory.
 */
final class StructuredPruneRun {
    private StructuredPruneRun() {}

    static int run(PruneCommand c, StructuredOptions s) {
        if (c.target.sparsity != null || c.target.nm != null || c.ratios != null)
            throw c.usage("--sparsity/--nm/--ratios are unstructured; structured runs take --target KEY=VALUE (or --plan)");
        if (c.reportDir != null)
            throw c.usage("--report draws unstructured pruning (sparsity per linear layer); a structured run has no report page (its --json and --plan-out hold what was kept)");
        StructuredPruneOptions o = StructuredPruneOptions.builder(c.model).method(c.method).targets(s.targets).plan(s.plan).planOut(s.planOut)
                .kvReduce(s.kvReduce).allocation(s.allocation).aggSeq(s.aggSeq).aggBatch(s.aggBatch).depthMetric(s.depthMetric).contiguous(s.contiguous)
                .batch(s.batch).criterionOptions(s.criterionOptions).criterionOption(StructuredPruner.STREAM, s.streamLayers).taylor(s.taylor).groupAgg(s.groupAgg).iterative(s.iterative)
                .fdr(s.fdr).unit(s.unit).scopLoss(s.scopLoss).scopStatistic(s.scopStatistic).scopSteps(s.scopSteps).scopLr(s.scopLr)
                .calib(c.calib).docSeparator(c.docSeparator).calibSamples(c.samples).seqLen(c.seqLen).calibSampling(c.sampling).seed(c.seed)
                .out(c.out).force(c.force).hfPad(s.hfPad).build();
        Kernels k = c.device.kernels();
        long t0 = System.nanoTime();
        StructuredPruner.Result r;
        try {
            r = PruneStructured.run(o, k, new ProgressListener() {
                @Override public void message(String line) { c.common.log().println(line); }
            });
        } catch (Prune4jException.InvalidOptions e) {
            throw c.usage(e.getMessage());
        }
        report(c, r, (System.nanoTime() - t0) / 1e9);
        return 0;
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
