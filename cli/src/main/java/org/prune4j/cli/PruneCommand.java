package org.prune4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.api.Prune;
import org.prune4j.api.Prune4jException;
import org.prune4j.api.PruneOptions;
import org.prune4j.api.ProgressListener;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.CheckpointPruner;
import org.prune4j.pruning.LinearPruner;
import org.prune4j.pruning.LinearReport;
import org.prune4j.pruning.Methods;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.SequentialPruner;
import org.prune4j.pruning.Sparsity;
import org.prune4j.pruning.SparsityPlan;
import org.prune4j.pruning.SparseGPTPruner;
import org.prune4j.pruning.calibration.CalibrationData;
import org.prune4j.pruning.calibration.Statistic;
import org.prune4j.tensor.Kernels;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code prune}: unstructured or N:M pruning of a Hugging Face checkpoint with magnitude, Wanda or SparseGPT,
 * calibrated layer by layer, streamed from the memory-mapped input to a new model folder that appears atomically.
 */
@Command(name = "prune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prune the linear layers of a Llama-family checkpoint (magnitude, Wanda or SparseGPT; unstructured or N:M).",
                "Or remove structure with --target KEY=VALUE (heads, KV groups, neurons, channels, layers; minitron, magnitude, random, wanda).",
                "Writes a Hugging Face folder: config.json, model.safetensors, the tokenizer files.",
                "Unstructured pruning never touches embeddings, norms or the output head."})
public final class PruneCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;

    @Option(names = "--model", required = true, description = "Hugging Face model folder (config.json, *.safetensors, tokenizer).")
    Path model;

    @Option(names = "--method", description = "Unstructured: magnitude, wanda, sparsegpt, a PrunerProvider name (ServiceLoader) or a fully qualified class implementing LinearPruner or Criterion. Structured (--target): minitron, magnitude, random, wanda, ..."
            + " (none needed when the only target is num_key_value_heads: mean-pooling).")
    String method;

    static final class Target {
        @Option(names = "--sparsity", description = "Unstructured: fraction of each linear layer's weights to prune, in [0, 1).")
        Double sparsity;

        @Option(names = "--nm", description = "N:M: in every row, prune N of each M consecutive input weights (e.g. 2:4, 4:8).")
        String nm;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Target target = new Target();

    @Option(names = "--ratios", description = "Per-layer ratios (JSON: a list with one ratio per layer, or {\"default\", \"layers\", \"linears\"});"
            + " --sparsity then sets the default.")
    Path ratios;

    @Option(names = "--per-row", description = "Magnitude: compare weights within each output row instead of the whole matrix.")
    boolean perRow;

    @Option(names = "--calib", description = "Calibration data: a text file (encoded with the model's tokenizer, BOS once or per document),"
            + " or token ids (.json array, .bin uint16, .i32.bin int32). Needed by wanda and sparsegpt.")
    Path calib;

    @Option(names = "--doc-separator", description = "Split the calibration text into documents at this string (each encoded with BOS).")
    String docSeparator;

    @Option(names = "--calib-samples", defaultValue = "128", description = "Number of calibration windows (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--seq-len", description = "Tokens per calibration window (default: min(2048, max_position_embeddings)).")
    Integer seqLen;

    @Option(names = "--calib-sampling", defaultValue = "random", description = "first (the first N windows) or random (N seeded random windows; default).")
    String sampling;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random calibration windows and of the structured --method random (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--block-size", defaultValue = "128", description = "SparseGPT: columns per block (default: ${DEFAULT-VALUE}).")
    int blockSize;

    @Option(names = "--damp", defaultValue = "0.01", description = "SparseGPT: dampening, a fraction of mean(diag H) (default: ${DEFAULT-VALUE}).")
    double damp;

    @Option(names = "--micro-batch", defaultValue = "0", description = "Calibration windows per forward pass (default: automatic).")
    int microBatch;

    @Mixin StructuredOptions structured;

    @Option(names = "--out", description = "Output folder (must not exist, unless --force).")
    Path out;

    @Option(names = "--force", description = "Replace the output folder if it exists.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        if (structured.active()) return StructuredPruneRun.run(this, structured);
        if (method == null) throw usage("give --method magnitude|wanda|sparsegpt (or --target KEY=VALUE for structured pruning)");
        if (out == null) throw usage("give --out DIR");
        sparsityOption();
        PruneOptions o;
        try {
            o = new PruneOptions(model, method, target.sparsity, target.nm, ratios, perRow, calib, docSeparator, samples, seqLen, sampling, seed,
                    blockSize, damp, microBatch, out, force);
        } catch (Prune4jException.InvalidOptions e) {
            throw usage(e.getMessage());
        }
        Prune.Result r;
        try {
            r = Prune.unstructured(o, device.kernels(), new ProgressListener() {
                @Override public void message(String line) { common.log().println(line); }
            });
        } catch (Prune4jException.InvalidOptions e) {
            throw usage(e.getMessage());
        }
        report(r.result(), r.plan(), r.modelParams(), r.files());
        return 0;
    }

    /** --sparsity or --nm as a target; null when neither (allowed only with --ratios). */
    private Sparsity sparsityOption() {
        try {
            if (target.nm != null) {
                if (ratios != null) throw usage("--ratios sets unstructured ratios; it cannot be combined with --nm");
                return Sparsity.parseNM(target.nm);
            }
            if (target.sparsity != null) return new Sparsity.Unstructured(target.sparsity);
        } catch (PruningException e) {
            throw usage(e.getMessage());
        }
        if (ratios == null) throw usage("give --sparsity S (unstructured), --nm N:M, or --ratios FILE");
        return null;
    }

    UsageException usage(String msg) {
        return new UsageException(spec.commandLine(), msg);
    }

    private void report(SequentialPruner.Result r, SparsityPlan plan, long modelParams, List<String> files) {
        long rss = PeakMemory.peakRssBytes(), heap = PeakMemory.peakHeapBytes();
        StringBuilder text = new StringBuilder();
        Map<Integer, List<LinearReport>> byLayer = new LinkedHashMap<>();
        for (LinearReport lr : r.linears()) byLayer.computeIfAbsent(lr.id().layer(), l -> new ArrayList<>()).add(lr);
        byLayer.forEach((l, rs) -> {
            long z = 0, p = 0;
            StringBuilder per = new StringBuilder();
            for (LinearReport lr : rs) {
                z += lr.zeros();
                p += lr.params();
                per.append(String.format(Locale.ROOT, " %s %.2f%%", lr.id().linear().shortName(), 100 * lr.sparsity()));
            }
            text.append(String.format(Locale.ROOT, "layer %2d: %6.2f%% |%s%n", l, 100.0 * z / p, per));
        });
        text.append(String.format(Locale.ROOT, "total: %.2f%% of %,d linear weights are zero (%.2f%% of all %,d parameters); target %s%n",
                100 * r.sparsity(), r.params(), 100.0 * r.zeros() / Math.max(1, modelParams), modelParams, plan.describe()));
        text.append(String.format(Locale.ROOT, "time %.2f s, peak RSS %s, peak heap %s%n", r.seconds(), PeakMemory.format(rss), PeakMemory.format(heap)));
        text.append("wrote ").append(out).append(" (").append(String.join(", ", files)).append(")");

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("method", method);
        json.put("target", plan.describe());
        json.put("sparsity", r.sparsity());
        json.put("zeros", r.zeros());
        json.put("params", r.params());
        json.put("model_params", modelParams);
        json.put("seconds", r.seconds());
        json.put("calibration_tokens", r.calibrationTokens());
        json.put("peak_rss_bytes", rss);
        json.put("peak_heap_bytes", heap);
        json.put("out", out.toString());
        List<Object> layers = new ArrayList<>();
        for (LinearReport lr : r.linears()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", lr.name());
            m.put("shape", List.of((long) lr.rows(), (long) lr.cols()));
            m.put("target", lr.target());
            m.put("zeros", lr.zeros());
            m.put("sparsity", lr.sparsity());
            if (method.equals("sparsegpt")) m.put("obs_error", lr.loss());
            layers.add(m);
        }
        json.put("layers", layers);
        common.emit(text.toString(), json);
    }
}
