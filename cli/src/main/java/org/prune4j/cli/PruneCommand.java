package org.prune4j.cli;

import org.prune4j.cli.report.PruneReport;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.prune4j.api.Prune;
import org.prune4j.api.Prune4jException;
import org.prune4j.api.PruneOptions;
import org.prune4j.api.ProgressListener;
import org.prune4j.pruning.CheckpointPruner;
import org.prune4j.pruning.LinearPruner;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.SequentialPruner;
import org.prune4j.pruning.Sparsity;
import org.prune4j.pruning.SparsityPlan;
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
        description = {"Prune a Llama-family checkpoint: weights (unstructured or N:M) or whole structures (--target).",
                "Unstructured and N:M: magnitude, Wanda or SparseGPT. Structured, with --target KEY=VALUE (heads, KV groups, neurons,",
                "channels, layers): minitron, taylor, michel, scop, magnitude, random or wanda; KV heads mean-pooled by default.",
                "Writes a Hugging Face folder: config.json, model.safetensors, the tokenizer files.",
                "Unstructured pruning never touches embeddings, norms or the output head."})
public final class PruneCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;

    @Option(names = "--model", required = true, description = "Hugging Face model folder (config.json, *.safetensors, tokenizer).")
    Path model;

    @Option(names = "--method", description = "Unstructured: magnitude, wanda, sparsegpt, a PrunerProvider name (ServiceLoader) or a fully qualified class implementing LinearPruner or Criterion. Structured (--target): minitron, taylor, michel, scop, magnitude, random, wanda"
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

    @Option(names = "--nm-tail", defaultValue = "refuse", description = "With --nm, a weight whose input width M does not divide: refuse"
            + " (the error names a pattern that fits), or dense (leave the short last group of each row unpruned; the achieved sparsity is reported)."
            + " Default: ${DEFAULT-VALUE}.")
    String nmTail;

    @Option(names = "--save-format", defaultValue = "dense", description = "dense (zeros stored, every tool reads it) or compressed-tensors"
            + " (the sparse-24-bitmask layout of llm-compressor and vLLM, with its sparsity_config in config.json; --nm 2:4 only). Default: ${DEFAULT-VALUE}.")
    String saveFormat;

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

    @Option(names = "--report", paramLabel = "DIR", description = "Also write report.html (plots, offline), report.json and a CSV per table into DIR.")
    Path reportDir;

    @Override
    public Integer call() throws Exception {
        if (structured.active()) return StructuredPruneRun.run(this, structured);
        if (method == null) throw usage("give --method magnitude|wanda|sparsegpt (or --target KEY=VALUE for structured pruning)");
        if (out == null) throw usage("give --out DIR");
        sparsityOption();
        CheckpointPruner.SaveFormat format = switch (saveFormat) {
            case "dense" -> CheckpointPruner.SaveFormat.DENSE;
            case "compressed-tensors" -> CheckpointPruner.SaveFormat.COMPRESSED_TENSORS;
            default -> throw usage("--save-format must be dense or compressed-tensors, got '" + saveFormat + "'");
        };
        PruneOptions o;
        try {
            o = new PruneOptions(model, method, target.sparsity, target.nm, ratios, perRow, calib, docSeparator, samples, seqLen, sampling, seed,
                    blockSize, damp, microBatch, out, force, nmTail.equals("dense"), format);
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
                if (!nmTail.equals("refuse") && !nmTail.equals("dense")) throw usage("--nm-tail must be refuse or dense, got '" + nmTail + "'");
                return Sparsity.parseNM(target.nm, nmTail.equals("dense"));
            }
            if (!nmTail.equals("refuse")) throw usage("--nm-tail applies to --nm only");
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

    private void report(SequentialPruner.Result r, SparsityPlan plan, long modelParams, List<String> files) throws IOException {
        PruneReport rep = PruneReport.of(method, plan.describe(), model.toString(), out.toString(), r, modelParams,
                PeakMemory.peakRssBytes(), PeakMemory.peakHeapBytes(), files);
        if (reportDir != null) {
            rep.page().write(reportDir, rep.json());
            common.log().println("prune4j prune: report in " + reportDir.resolve("report.html"));
        }
        common.emit(rep.text(), rep.json());
    }
}
