package org.prune4j.pruning;

import org.prune4j.tensor.NM;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;

/**
 * Prunes one model several ways and measures each result on held-out text: the table the demo prints (method,
 * target, achieved sparsity, perplexity, time). Each run starts from the dense tensors; pruned copies live in memory.
 */
public final class Comparison {
    private Comparison() {}

    /** One pruning to try: a method name and a uniform target. */
    public record Trial(String method, Sparsity target) {}

    /** One row of the table; the dense baseline has method "dense" and sparsity 0. */
    public record Row(String method, String target, double sparsity, double ppl, double nll, double seconds) {}

    /**
     * One cell of a per-layer sensitivity sweep: only decoder layer {@code layer} pruned to the target; {@code sparsity}
     * is that layer's measured fraction of zeros over its linear weights.
     */
    public record LayerRow(String method, String target, int layer, double sparsity, double ppl, double nll, double seconds) {}

    /** Every method at 50% unstructured and at 2:4: the six rows. */
    public static List<Trial> standardTrials() {
        List<Trial> t = new ArrayList<>();
        for (Sparsity s : List.of(new Sparsity.Unstructured(0.5), new Sparsity.Groups(new NM(2, 4))))
            for (String m : Methods.NAMES) t.add(new Trial(m, s));
        return t;
    }

    /**
     * The dense model's perplexity, then each trial's: prune {@code src} (config {@code cfg}) with calibration windows
     * {@code calib}, evaluate on {@code eval} windows. {@code log} gets progress (may be null).
     */
    public static List<Row> run(ModelConfig cfg, TensorSource src, int[][] calib, int[][] eval, List<Trial> trials,
                                Kernels k, int threads, int evalBatch, PrintStream log) throws IOException {
        List<Row> rows = new ArrayList<>();
        rows.add(dense(cfg, src, eval, k, evalBatch));
        if (log != null) log.printf(Locale.ROOT, "dense: ppl %.3f%n", rows.get(0).ppl());
        for (Trial t : trials) {
            Row r = trial(cfg, src, calib, eval, t, k, threads, evalBatch);
            rows.add(r);
            if (log != null) log.printf(Locale.ROOT, "%s %s: sparsity %.2f%%, ppl %.3f, %.2f s%n", t.method(), r.target(), 100 * r.sparsity(), r.ppl(), r.seconds());
        }
        return rows;
    }

    /** The dense model's row: perplexity on {@code eval} windows. */
    public static Row dense(ModelConfig cfg, TensorSource src, int[][] eval, Kernels k, int evalBatch) throws IOException {
        TensorSink.InMemory dense = new TensorSink.InMemory();
        for (String n : src.names()) dense.write(n, src.get(n));
        Perplexity.Result base = Perplexity.evaluate(LlamaModel.fromTensors(cfg, dense.tensors(), k), eval, evalBatch, null);
        return new Row("dense", "-", 0, base.ppl(), base.nll(), 0);
    }

    /** One trial's row: prune a copy of {@code src} with {@code calib} windows, evaluate on {@code eval} windows. */
    public static Row trial(ModelConfig cfg, TensorSource src, int[][] calib, int[][] eval, Trial t, Kernels k, int threads, int evalBatch) throws IOException {
        TensorSink.InMemory sink = new TensorSink.InMemory();
        SequentialPruner.Result r = SequentialPruner.run(cfg, src, calib,
                new SequentialPruner.Options(Methods.create(t.method(), false, k, threads), SparsityPlan.uniform(t.target()), k, 0, null), sink);
        Perplexity.Result p = Perplexity.evaluate(LlamaModel.fromTensors(cfg, sink.tensors(), k), eval, evalBatch, null);
        return new Row(t.method(), t.target().label(), r.sparsity(), p.ppl(), p.nll(), r.seconds());
    }

    /**
     * Trial {@code t} on decoder layer {@code layer} alone: a copy of {@code src} with only that layer's linear weights
     * pruned (its calibration inputs are the dense outputs of the layers before it), evaluated on {@code eval} windows.
     */
    public static LayerRow layerTrial(ModelConfig cfg, TensorSource src, int[][] calib, int[][] eval, Trial t, int layer, Kernels k, int threads,
                                      int evalBatch) throws IOException {
        TensorSink.InMemory sink = new TensorSink.InMemory();
        SequentialPruner.Result r = SequentialPruner.run(cfg, src, calib,
                new SequentialPruner.Options(Methods.create(t.method(), false, k, threads), SparsityPlan.onlyLayers(t.target(), Set.of(layer)), k, 0, null), sink);
        Perplexity.Result p = Perplexity.evaluate(LlamaModel.fromTensors(cfg, sink.tensors(), k), eval, evalBatch, null);
        return new LayerRow(t.method(), t.target().label(), layer, r.sparsity(), p.ppl(), p.nll(), r.seconds());
    }

    /** The rows as an aligned text table, with each perplexity's ratio to the dense one. */
    public static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-10s %-7s %9s %11s %9s %10s%n", "method", "target", "sparsity", "perplexity", "vs dense", "prune time"));
        double dense = rows.getFirst().ppl();
        for (Row r : rows)
            sb.append(String.format(Locale.ROOT, "%-10s %-7s %8.2f%% %11.3f %8.2fx %10s%n", r.method(), r.target(), 100 * r.sparsity(), r.ppl(),
                    r.ppl() / dense, r.method().equals("dense") ? "-" : String.format(Locale.ROOT, "%.2fs", r.seconds())));
        return sb.toString();
    }
}
