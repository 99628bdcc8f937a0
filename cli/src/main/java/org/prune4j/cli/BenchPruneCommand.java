package org.prune4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.bench.PruneBench;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.LinearPruner;
import org.prune4j.pruning.Methods;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.Sparsity;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Kernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code prune4j bench prune}: pruning speed (seconds per billion weights) and resident memory on a synthetic Llama
 * checkpoint written to disk, pruned from its memory-mapped file into a streamed output folder. Run it with
 * {@code PRUNE4J_JAVA_OPTS=-Xmx...} below the model's F32 size to show the heap never holds the model.
 */
@Command(name = "prune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Pruning throughput and peak memory on a synthetic Llama checkpoint, pruned from its mapped file.",
                "The checkpoint is written to disk first and the output streamed. Reports seconds per billion weights and",
                "peak resident memory against the heap limit."})
public final class BenchPruneCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;
    @Spec CommandSpec spec;

    @Option(names = "--method", defaultValue = "wanda", description = "magnitude, wanda or sparsegpt (default: ${DEFAULT-VALUE}).")
    String method;
    @Option(names = "--hidden", defaultValue = "1024", description = "Hidden size (heads of 64, 4 query heads per kv head, MLP 8/3 hidden; default: ${DEFAULT-VALUE}).")
    int hidden;
    @Option(names = "--layers", defaultValue = "8", description = "Decoder layers (default: ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--vocab", defaultValue = "8192", description = "Vocabulary (embedding rows; default: ${DEFAULT-VALUE}).")
    int vocab;
    @Option(names = "--dtype", defaultValue = "F32", description = "Storage type of the synthetic checkpoint: F32, BF16 or F16 (default: ${DEFAULT-VALUE}).")
    String dtype;
    @Option(names = "--sparsity", defaultValue = "0.5", description = "Unstructured target (default: ${DEFAULT-VALUE}).")
    double sparsity;
    @Option(names = "--nm", description = "N:M target instead of --sparsity (e.g. 2:4).")
    String nm;
    @Option(names = "--calib-samples", defaultValue = "16", description = "Random calibration windows (default: ${DEFAULT-VALUE}).")
    int samples;
    @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per window (default: ${DEFAULT-VALUE}).")
    int seqLen;
    @Option(names = "--dir", description = "Folder for the synthetic model and its pruned copy (default: the system temporary folder).")
    Path dir;
    @Option(names = "--keep", description = "Keep the synthetic model and the pruned output.")
    boolean keep;
    @Option(names = "--structured", description = "Structured pruning instead (--method minitron, magnitude, random, wanda): scoring and removal timed apart.")
    boolean structured;
    @Option(names = "--target", paramLabel = "KEY=VALUE", description = "With --structured: targets (default: half the heads and half the MLP).")
    java.util.List<String> targets = new java.util.ArrayList<>();
    @Option(names = "--stream-layers", defaultValue = "auto", description = "With --structured: minitron's scoring one decoder layer at a time from the"
            + " mapped checkpoint: on, off, or auto (on when the F32 model would take over half the heap; default).")
    String streamLayers;

    @Override
    public Integer call() throws Exception {
        var cl = spec.commandLine();
        if (hidden < 64 || hidden % 64 != 0) throw new UsageException(cl, "bench prune: --hidden must be a positive multiple of 64, got " + hidden);
        if (layers < 1 || vocab < 2 || samples < 1 || seqLen < 2) throw new UsageException(cl, "bench prune: --layers, --vocab, --calib-samples, --seq-len must be positive");
        DType dt;
        try {
            dt = DType.valueOf(dtype.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            dt = null;
        }
        if (dt == null || !dt.isWeightType()) throw new UsageException(cl, "bench prune: --dtype must be F32, BF16 or F16, got " + dtype);
        Sparsity target;
        try {
            target = nm != null ? Sparsity.parseNM(nm) : new Sparsity.Unstructured(sparsity);
        } catch (PruningException e) {
            throw new UsageException(cl, e.getMessage());
        }
        Path where = dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"));
        if (!Files.isDirectory(where)) throw new java.nio.file.NoSuchFileException(where + " (--dir must be an existing folder)");
        if (structured) return structured(where, dt);
        if (!Methods.NAMES.contains(method)) throw new UsageException(cl, "bench prune: --method must be one of " + Methods.NAMES);
        Kernels k = device.kernels();
        int threads = k.parallelism();
        LinearPruner pruner = Methods.create(method, false, k, threads);
        ModelConfig cfg = PruneBench.config(hidden, layers, vocab);
        PruneBench.Result r = PruneBench.run(where, cfg, dt, pruner, target, samples, seqLen, k, keep, common.log());

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("method", r.method());
        json.put("target", r.target());
        json.put("hidden", hidden);
        json.put("layers", layers);
        json.put("intermediate", cfg.intermediateSize(0));
        json.put("dtype", r.dtype().name());
        json.put("kernels", k.name());
        json.put("linear_params", r.linearParams());
        json.put("total_params", r.totalParams());
        json.put("model_f32_bytes", r.f32Bytes());
        json.put("file_bytes", r.fileBytes());
        json.put("max_heap_bytes", r.maxHeap());
        json.put("calibration_tokens", r.calibTokens());
        json.put("seconds", r.pruneSeconds());
        json.put("seconds_per_billion", r.secondsPerBillion());
        json.put("sparsity", r.sparsity());
        json.put("peak_rss_bytes", r.peakRss());
        json.put("peak_rss_anon_bytes", r.peakRssAnon());
        json.put("peak_heap_used_bytes", r.peakHeapUsed());
        json.put("write_seconds", r.writeSeconds());
        common.emit(PruneBench.report(r), json);
        return 0;
    }

    private int structured(Path where, DType dt) throws Exception {
        ModelConfig cfg = PruneBench.config(hidden, layers, vocab);
        java.util.List<String> t = targets.isEmpty()
                ? java.util.List.of("num_attention_heads=" + cfg.numHeads(0) / 2, "intermediate_size=" + cfg.intermediateSize(0) / 2) : targets;
        org.prune4j.bench.StructuredPruneBench.Result r = org.prune4j.bench.StructuredPruneBench.run(where, cfg, dt, method, t, samples, seqLen,
                device.kernels(), streamLayers, keep, common.log());
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("method", r.method());
        json.put("targets", r.targets());
        json.put("hidden", hidden);
        json.put("layers", layers);
        json.put("dtype", r.dtype().name());
        json.put("params_before", r.paramsBefore());
        json.put("params_after", r.paramsAfter());
        json.put("file_bytes", r.fileBytes());
        json.put("max_heap_bytes", r.maxHeap());
        json.put("calibration_tokens", r.calibTokens());
        json.put("score_streamed", r.streamed());
        json.put("score_seconds", r.scoreSeconds());
        json.put("score_peak_rss_bytes", r.scorePeakRss());
        json.put("score_peak_rss_anon_bytes", r.scorePeakAnon());
        json.put("write_seconds", r.writeSeconds());
        json.put("write_peak_rss_bytes", r.writePeakRss());
        json.put("write_peak_rss_anon_bytes", r.writePeakAnon());
        if (r.kept() != null) json.put("kept", r.kept().toString());
        common.emit(org.prune4j.bench.StructuredPruneBench.report(r), json);
        return 0;
    }
}
