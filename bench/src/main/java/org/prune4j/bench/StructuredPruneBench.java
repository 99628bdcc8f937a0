package org.prune4j.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.structured.Aggregation;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.pruning.structured.StructuredPruner;
import org.prune4j.pruning.structured.Targets;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;

/**
 * {@code bench prune --structured}: structured pruning of a synthetic checkpoint written to disk, in two timed
 * phases with peak resident memory each: scoring (the dense model loaded, or with {@code stream} on, or auto and a
 * model over half the heap, minitron's layer-by-layer scoring from the mapped checkpoint; one calibration pass) and
 * removal (the plan applied to the memory-mapped checkpoint, streamed out). The second phase alone is what
 * {@code prune --plan} runs.
 */
public final class StructuredPruneBench {
    private StructuredPruneBench() {}

    /** One run's measurements (bytes; -1 where /proc is absent). */
    public record Result(ModelConfig config, DType dtype, String method, String targets, long paramsBefore, long paramsAfter, long fileBytes,
                         long maxHeap, int calibTokens, double scoreSeconds, long scorePeakRss, long scorePeakAnon,
                         double writeSeconds, long writePeakRss, long writePeakAnon, Path kept, boolean streamed) {}

    /** {@code stream}: auto, on or off ({@code --stream-layers}). */
    public static Result run(Path dir, ModelConfig cfg, DType dtype, String method, List<String> targets, int samples, int seqLen,
                             Kernels k, String stream, boolean keep, PrintStream log) throws IOException {
        Path work = Files.createTempDirectory(dir, "prune4j-structbench-");
        try {
            Path in = work.resolve("model"), out = work.resolve("pruned"), plan = work.resolve("plan.json");
            log.printf("bench prune --structured: writing a synthetic %s model to %s ...%n", dtype, in);
            PruneBench.writeSynthetic(in, cfg, dtype, 1);
            SplittableRandom r = new SplittableRandom(7);
            int[][] calib = new int[samples][seqLen];
            for (int[] w : calib) for (int i = 0; i < seqLen; i++) w[i] = r.nextInt(cfg.vocabSize());
            Targets t = Targets.parse(targets);
            StructuredPruner.Result scored, applied;
            double scoreSeconds, writeSeconds;
            long sRss, sAnon, wRss, wAnon;
            try (SafeTensors st = SafeTensors.open(in)) {
                System.gc();
                try (PruneBench.Sampler sampler = new PruneBench.Sampler()) {
                    long t0 = System.nanoTime();
                    scored = StructuredPruner.run(in, cfg, TensorSource.of(st), () -> LlamaModel.load(st, cfg, k), k,
                            job(method, t, null, plan, () -> calib, null, Map.of(StructuredPruner.STREAM, stream)), log);
                    scoreSeconds = (System.nanoTime() - t0) / 1e9;
                    sampler.stopAndSample();
                    sRss = sampler.peakRss();
                    sAnon = sampler.peakAnon();
                }
            }
            System.gc();
            try (SafeTensors st = SafeTensors.open(in); PruneBench.Sampler sampler = new PruneBench.Sampler()) {
                long t0 = System.nanoTime();
                applied = StructuredPruner.run(in, cfg, TensorSource.of(st), () -> { throw new IllegalStateException("a plan needs no model"); },
                        job(null, new Targets(Map.of()), plan, null, null, out, Map.of()), log);
                writeSeconds = (System.nanoTime() - t0) / 1e9;
                sampler.stopAndSample();
                wRss = sampler.peakRss();
                wAnon = sampler.peakAnon();
            }
            return new Result(cfg, dtype, method, t.describe(), applied.output().paramsBefore(), applied.output().paramsAfter(),
                    Files.size(in.resolve("model.safetensors")), Runtime.getRuntime().maxMemory(), samples * seqLen,
                    scoreSeconds, sRss, sAnon, writeSeconds, wRss, wAnon, keep ? work : null, scored.streamed());
        } finally {
            if (!keep) AtomicFiles.deleteTree(work);
            else log.println("bench prune --structured: kept " + work);
        }
    }

    private static StructuredPruner.Job job(String method, Targets t, Path planIn, Path planOut, java.util.function.Supplier<int[][]> w, Path out,
                                            Map<String, String> opts) {
        return new StructuredPruner.Job(method, t, Planner.Options.DEFAULT, planIn, planOut, w, 8, Aggregation.MEAN, Aggregation.L2, 0, opts,
                out, false, Map.of("pruned_by", "prune4j bench prune --structured"));
    }

    public static String report(Result r) {
        ModelConfig c = r.config();
        return String.format(java.util.Locale.ROOT,
                "bench prune --structured: %s %s of a synthetic Llama (hidden %d, %d layers, MLP %d, %d/%d heads), %s, %.2f GB on disk, heap limit %.2f GB%n"
                        + "  parameters %,d -> %,d%n"
                        + "  scoring (%s, %,d calibration tokens): %.1f s, peak resident %.2f GB (anonymous %.2f GB)%n"
                        + "  removal (plan applied to the mapped checkpoint, streamed): %.1f s, peak resident %.2f GB (anonymous %.2f GB)",
                r.method(), r.targets(), c.hiddenSize(), c.numLayers(), c.intermediateSize(0), c.numHeads(0), c.numKvHeads(0), r.dtype(),
                r.fileBytes() / 1e9, r.maxHeap() / 1e9, r.paramsBefore(), r.paramsAfter(),
                r.streamed() ? "one layer at a time from the mapped checkpoint" : "model loaded", r.calibTokens(), r.scoreSeconds(), r.scorePeakRss() / 1e9,
                r.scorePeakAnon() / 1e9, r.writeSeconds(), r.writePeakRss() / 1e9, r.writePeakAnon() / 1e9);
    }
}
