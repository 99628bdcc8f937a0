package org.prune4j.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.pruning.CheckpointPruner;
import org.prune4j.pruning.LinearPruner;
import org.prune4j.pruning.SequentialPruner;
import org.prune4j.pruning.Sparsity;
import org.prune4j.pruning.SparsityPlan;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;

/**
 * Pruning speed and memory on a synthetic Llama checkpoint written to disk: seconds per billion pruned weights, and
 * the resident memory while a model larger than the Java heap is pruned from its memory-mapped file into a streamed
 * output folder. A sampler thread reads /proc/self/status every 20 ms: anonymous resident memory (heap, off-heap
 * buffers) is what must stay bounded; file-backed pages of the mapped input are page cache the kernel may drop.
 */
public final class PruneBench {
    private PruneBench() {}

    /** What one run measured (memory in bytes, -1 where /proc is absent). */
    public record Result(ModelConfig config, DType dtype, String method, String target, long linearParams, long totalParams,
                         long f32Bytes, long fileBytes, long maxHeap, int calibTokens, double writeSeconds, double pruneSeconds,
                         double sparsity, long peakRss, long peakRssAnon, long peakHeapUsed) {
        /** Seconds per 10^9 pruned linear weights. */
        public double secondsPerBillion() { return pruneSeconds / (linearParams / 1e9); }
    }

    /** A Llama config of hidden {@code h}, {@code layers} layers: heads of 64, 4 query heads per kv head, MLP 8/3 h rounded to 256. */
    public static ModelConfig config(int h, int layers, int vocab) throws IOException {
        int heads = Math.max(1, h / 64), kv = Math.max(1, heads / 4);
        while (heads % kv != 0) kv--;
        int inter = (int) Math.round(8.0 * h / 3 / 256) * 256;
        return ModelConfig.builder("LlamaForCausalLM").hiddenSize(h).numLayers(layers).numHeads(heads).numKvHeads(kv)
                .intermediateSize(Math.max(256, inter)).vocabSize(vocab).tieWordEmbeddings(true).maxPositionEmbeddings(4096)
                .rmsNormEps(1e-5).torchDtype(dtypeName(DType.F32)).build();
    }

    static String dtypeName(DType d) {
        return switch (d) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        };
    }

    /**
     * Writes a model folder for {@code cfg}: config.json and model.safetensors of {@code dtype}, streamed one tensor at
     * a time from one off-heap buffer (uniform weights of std 0.02, norms 1), so the model never sits in memory.
     */
    public static void writeSynthetic(Path dir, ModelConfig cfg, DType dtype, long seed) throws IOException {
        Map<String, int[]> shapes = LlamaModel.expectedShapes(cfg);
        long largest = 0;
        for (int[] s : shapes.values()) largest = Math.max(largest, (long) s[0] * (s.length > 1 ? s[1] : 1));
        Files.createDirectories(dir);
        cfg.toBuilder().torchDtype(dtypeName(dtype)).build().write(dir.resolve(ModelConfig.FILE));
        SplittableRandom seeds = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined(); SafeTensorsWriter w = SafeTensorsWriter.create(dir.resolve("model.safetensors"))) {
            MemorySegment buf = arena.allocate(largest * dtype.size, 64);
            for (var e : shapes.entrySet()) w.declare(e.getKey(), dtype, e.getValue());
            for (var e : shapes.entrySet()) {
                int[] s = e.getValue();
                long n = (long) s[0] * (s.length > 1 ? s[1] : 1);
                boolean norm = e.getKey().endsWith("norm.weight");
                long x = seeds.nextLong() | 1;
                for (long i = 0; i < n; i++) { // xorshift64: uniform in [-0.0346, 0.0346), std 0.02
                    x ^= x << 13;
                    x ^= x >>> 7;
                    x ^= x << 17;
                    dtype.write(buf, i, norm ? 1f : ((x >>> 40) * 0x1p-24f - 0.5f) * 0.0693f);
                }
                w.writeBytes(e.getKey(), buf.asSlice(0, n * dtype.size));
            }
            w.commit();
        }
    }

    /** Peak resident memory seen by a sampler thread. */
    static final class Sampler implements AutoCloseable {
        private volatile boolean stop;
        private volatile long peakRss = -1, peakAnon = -1, peakHeap;
        private final Thread thread;

        Sampler() {
            thread = new Thread(() -> {
                while (!stop) {
                    sample();
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "prune-bench-rss");
            thread.setDaemon(true);
            thread.start();
        }

        void sample() {
            long rss = OpenBench.rss("VmRSS:"), anon = OpenBench.rss("RssAnon:");
            Runtime rt = Runtime.getRuntime();
            long heap = rt.totalMemory() - rt.freeMemory();
            if (rss > peakRss) peakRss = rss;
            if (anon > peakAnon) peakAnon = anon;
            if (heap > peakHeap) peakHeap = heap;
        }

        @Override
        public void close() {
            stopAndSample();
        }

        long peakRss() { return peakRss; }

        long peakAnon() { return peakAnon; }

        /** Stops the thread and takes a last sample; idempotent. */
        void stopAndSample() {
            stop = true;
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sample();
        }
    }

    /**
     * Writes the synthetic model into a fresh folder under {@code dir}, prunes it with {@code pruner} to {@code target}
     * on {@code samples} random windows of {@code seqLen} tokens, streaming the output into a sibling folder, and
     * deletes both unless {@code keep}.
     */
    public static Result run(Path dir, ModelConfig cfg, DType dtype, LinearPruner pruner, Sparsity target, int samples, int seqLen,
                             Kernels k, boolean keep, PrintStream log) throws IOException {
        Path work = Files.createTempDirectory(dir, "prune4j-prunebench-");
        try {
            Path in = work.resolve("model"), out = work.resolve("pruned");
            long linear = 0, total = 0;
            for (var e : LlamaModel.expectedShapes(cfg).entrySet()) {
                long n = (long) e.getValue()[0] * (e.getValue().length > 1 ? e.getValue()[1] : 1);
                total += n;
                if (e.getKey().endsWith("_proj.weight")) linear += n;
            }
            log.printf("bench prune: writing a synthetic %s model (%,d parameters, %.2f GB) to %s ...%n", dtype, total, total * dtype.size / 1e9, in);
            long tw = System.nanoTime();
            writeSynthetic(in, cfg, dtype, 1);
            double writeSeconds = (System.nanoTime() - tw) / 1e9;

            SplittableRandom r = new SplittableRandom(7);
            int[][] calib = new int[samples][seqLen];
            for (int[] w : calib) for (int i = 0; i < seqLen; i++) w[i] = r.nextInt(cfg.vocabSize());
            System.gc();
            SequentialPruner.Result res;
            long t0;
            double seconds;
            try (SafeTensors st = SafeTensors.open(in); Sampler sampler = new Sampler()) {
                t0 = System.nanoTime();
                res = CheckpointPruner.run(in, cfg, st, calib, new SequentialPruner.Options(pruner, SparsityPlan.uniform(target), k, 0, log),
                        out, false, Map.of("pruned_by", "prune4j bench prune")).result();
                seconds = (System.nanoTime() - t0) / 1e9;
                sampler.stopAndSample();
                return new Result(cfg, dtype, pruner.name(), target.label(), linear, total, total * 4, Files.size(in.resolve("model.safetensors")),
                        Runtime.getRuntime().maxMemory(), samples * seqLen, writeSeconds, seconds, res.sparsity(),
                        sampler.peakRss, sampler.peakAnon, sampler.peakHeap);
            }
        } finally {
            if (!keep) AtomicFiles.deleteTree(work);
            else log.println("bench prune: kept " + work);
        }
    }

    /** The human report. */
    public static String report(Result r) {
        ModelConfig c = r.config();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("bench prune: %s %s of a synthetic Llama (hidden %d, %d layers, MLP %d, %d/%d heads), %s on disk%n", r.method(), r.target(),
                c.hiddenSize(), c.numLayers(), c.intermediateSize(0), c.numHeads(0), c.numKvHeads(0), r.dtype()));
        sb.append(String.format("  %,d linear weights pruned (%,d parameters; F32 size %.2f GB = %.1fx the %.2f GB heap limit)%n",
                r.linearParams(), r.totalParams(), r.f32Bytes() / 1e9, r.f32Bytes() / (double) r.maxHeap(), r.maxHeap() / 1e9));
        sb.append(String.format("  %.1f s = %.0f s per billion weights (calibration %,d tokens); achieved sparsity %.2f%%%n",
                r.pruneSeconds(), r.secondsPerBillion(), r.calibTokens(), 100 * r.sparsity()));
        sb.append(String.format("  peak resident %.2f GB, of which anonymous (heap, buffers) %.2f GB; peak heap used %.2f GB%n",
                r.peakRss() / 1e9, r.peakRssAnon() / 1e9, r.peakHeapUsed() / 1e9));
        sb.append("  (the rest of the resident set is pages of the memory-mapped input: page cache the kernel may drop)");
        return sb.toString();
    }
}
