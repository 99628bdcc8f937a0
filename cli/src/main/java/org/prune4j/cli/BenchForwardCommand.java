package org.prune4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.prune4j.autograd.Var;
import org.prune4j.bench.Timing;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.LinearPruner;
import org.prune4j.pruning.LinearWeight;
import org.prune4j.pruning.Methods;
import org.prune4j.pruning.Sparsity;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.NM;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.DecoderLayer;
import org.prune4j.transformer.KvCache;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LinearLayer;
import org.prune4j.transformer.NMLinear;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench forward}: model throughput. Prefill: B x L tokens through the model with a fresh KV cache, every
 * position's logits computed (what PyTorch's model(input_ids) does). Decode: after a prefill of L tokens, one token per
 * row per step; reported beside the GEMV bound measured in the same run, i.e. one pass of y = W x over every weight a
 * decode step reads (all linear layers and the output head), which is the memory-bandwidth limit of decoding.
 * Decode steps and GEMV passes alternate, and the fraction of the bound is the median of per-run ratios, so the
 * load of a shared machine hits both sides alike. Warm-up and medians follow {@link Timing}. With {@code --nm} the
 * weights are magnitude-pruned to the pattern first, and {@code --sparse-kernels} decides whether they run compressed;
 * the GEMV bound stays the dense pass over the same (pruned) weights, so compressed decoding can exceed it.
 * The JSON's {@code memory} says what the model holds as it runs (see {@link PeakMemory}): the bytes its linear layers
 * reference, the live heap once set up, and the heap and RSS peaks of one untimed pass alone (with
 * {@code --sparse-kernels on} measured before the dense copies for the comparison are made).
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Prefill tokens/s of a model (or, with --decode, decode tokens/s beside the GEMV bandwidth bound).")
public final class BenchForwardCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;
    @Mixin TimingOptions timingOptions;
    @Mixin SparseKernelOptions sparse;

    @Option(names = "--model", description = "Hugging Face model folder (or use --synthetic).")
    Path model;
    @Option(names = "--synthetic", description = "Benchmark a random Llama of the shape given by --hidden, --layers, ... instead of --model.")
    boolean synthetic;
    @Option(names = "--hidden", defaultValue = "2048", description = "Synthetic: hidden size (default ${DEFAULT-VALUE}).")
    int hidden;
    @Option(names = "--layers", defaultValue = "8", description = "Synthetic: layers (default ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--heads", defaultValue = "16", description = "Synthetic: query heads (default ${DEFAULT-VALUE}).")
    int heads;
    @Option(names = "--kv-heads", defaultValue = "16", description = "Synthetic: key/value heads (default ${DEFAULT-VALUE}).")
    int kvHeads;
    @Option(names = "--intermediate", defaultValue = "5632", description = "Synthetic: MLP width (default ${DEFAULT-VALUE}).")
    int intermediate;
    @Option(names = "--vocab", defaultValue = "32000", description = "Synthetic: vocabulary (default ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--nm", description = "Prune every linear weight to this N:M pattern by magnitude first (e.g. 2:4; widths M does not divide keep a dense tail).")
    String nm;

    @Option(names = "--batch", defaultValue = "1", description = "Rows per forward pass (default ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--seq-len", defaultValue = "128", description = "Prefill length in tokens (default ${DEFAULT-VALUE}).")
    int seqLen;
    @Option(names = "--decode", description = "Measure decoding (one token per row per step after a prefill of --seq-len).")
    boolean decode;
    @Option(names = "--decode-steps", defaultValue = "16", description = "Decode steps per timed run (default ${DEFAULT-VALUE}).")
    int decodeSteps;

    @Override
    public Integer call() throws Exception {
        var cl = spec.commandLine();
        if ((model == null) == !synthetic) throw new UsageException(cl, "give either --model DIR or --synthetic");
        if (batch < 1 || seqLen < 1 || decodeSteps < 1) throw new UsageException(cl, "--batch, --seq-len and --decode-steps must be >= 1");
        Timing timing = timingOptions.timing(spec);
        Kernels k = device.kernels();
        LlamaModel m;
        if (synthetic) {
            ModelConfig cfg = ModelConfig.builder("LlamaForCausalLM").hiddenSize(hidden).vocabSize(vocab).numLayers(layers)
                    .numHeads(heads).numKvHeads(kvHeads).intermediateSize(intermediate).rmsNormEps(1e-5).ropeTheta(10000)
                    .tieWordEmbeddings(false).maxPositionEmbeddings(Math.max(2048, seqLen + decodeSteps)).build();
            common.log().println("bench forward: building a random " + cfg + " ...");
            m = LlamaModel.random(cfg, 1, 0.02f, k);
        } else {
            m = LlamaModel.load(model, k);
        }
        if (nm != null) {
            NM pattern;
            try {
                pattern = NM.parse(nm);
            } catch (IllegalArgumentException e) {
                throw new UsageException(cl, "--nm: " + e.getMessage());
            }
            pruneByMagnitude(m, new Sparsity.Groups(pattern, true));
        }
        var sk = sparse.apply(m, common.log(), cl);
        device.keepResident(m.heldTensors());   // inference only: a device backend keeps the matrices on the device
        int[][] tokens = new int[batch][seqLen];
        SplittableRandom r = new SplittableRandom(1);
        for (int[] row : tokens) for (int i = 0; i < seqLen; i++) row[i] = r.nextInt(m.config().vocabSize());
        int threads = k.parallelism();

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("mode", decode ? "decode" : "prefill");
        json.put("model", synthetic ? "synthetic " + m.config() : model.toString());
        json.put("parameters", m.parameterCount());
        json.put("batch", batch);
        json.put("seq_len", seqLen);
        json.put("threads", threads);
        json.put("kernels", k.name());
        json.put("nm", nm);
        json.put("sparse_linears", sk.compressed());
        // memory of the model as it runs: what its linear layers hold, the live heap once set up, then the peaks of
        // one untimed pass alone (setup built the dense model first, so the process peaks below include it)
        Map<String, Object> memory = new LinkedHashMap<>();
        memory.put("linear_weights_held_bytes", heldLinearBytes(m));
        memory.put("heap_live_after_setup_bytes", PeakMemory.liveHeapBytes());
        memory.put("rss_after_setup_bytes", PeakMemory.rssBytes());
        boolean rssReset = PeakMemory.resetPeaks();
        if (decode) {
            KvCache c = m.newCache(batch, seqLen + decodeSteps);
            m.forward(tokens, c, Observer.NONE, true);
            for (int i = 0; i < decodeSteps; i++) m.forward(new int[batch][1], c, Observer.NONE, true);
        } else {
            m.forward(tokens, m.newCache(batch, seqLen));
        }
        memory.put("pass_peak_heap_bytes", PeakMemory.peakHeapBytes());
        memory.put("pass_peak_rss_bytes", rssReset ? PeakMemory.peakRssBytes() : -1);
        json.put("memory", memory);
        common.log().printf(java.util.Locale.ROOT, "memory: linear weights hold %s; live heap after setup %s, RSS %s; one %s pass alone peaks at %s heap, %s RSS%n",
                PeakMemory.format((Long) memory.get("linear_weights_held_bytes")), PeakMemory.format((Long) memory.get("heap_live_after_setup_bytes")),
                PeakMemory.format((Long) memory.get("rss_after_setup_bytes")), decode ? "decode" : "prefill",
                PeakMemory.format((Long) memory.get("pass_peak_heap_bytes")), PeakMemory.format((Long) memory.get("pass_peak_rss_bytes")));
        String text;
        if (!decode) {
            double[] runs = timing.measure(() -> m.forward(tokens, m.newCache(batch, seqLen)));
            double s = Timing.median(runs);
            double tps = batch * seqLen / s;
            json.put("tokens_per_s", round(tps));
            json.put("ms", round(s * 1e3));
            text = String.format("prefill %d x %d tokens: %.1f ms, %.1f tokens/s (%s, median of %d)", batch, seqLen, s * 1e3, tps, k.name(), runs.length);
        } else {
            KvCache cache = m.newCache(batch, seqLen + decodeSteps);
            int[][] one = new int[batch][1];
            Timed decodeStep = () -> {
                cache.reset();
                m.forward(tokens, cache, Observer.NONE, true);
                long t0 = System.nanoTime();
                for (int i = 0; i < decodeSteps; i++) m.forward(one, cache, Observer.NONE, true);
                return (System.nanoTime() - t0) / 1e9 / decodeSteps;
            };
            // the weights a decode step streams, dense: every linear and the output head. With compressed layers, the
            // same decode with them swapped back to dense runs in the same rounds; a compressed-only layer (on) is
            // decompressed for that here, after the memory above was measured, to its values' dtype.
            List<Tensor> weights = new ArrayList<>();
            List<Runnable> toDense = new ArrayList<>(), toSparse = new ArrayList<>();
            for (int i = 0; i < m.numLayers(); i++)
                for (Linear lin : Linear.values()) {
                    DecoderLayer layer = m.layer(i);
                    if (layer.linear(lin) instanceof NMLinear nmLayer) {
                        Var w = nmLayer.holdsDense() ? nmLayer.weight() : Var.constant(denseCopy(nmLayer));
                        LinearLayer dense = new LinearLayer.Dense(w, nmLayer.bias());
                        toDense.add(() -> layer.setLinear(lin, dense));
                        toSparse.add(() -> layer.setLinear(lin, nmLayer));
                        weights.add(w.value());
                    } else {
                        weights.add(layer.weight(lin));
                    }
                }
            weights.add(m.lmHead());
            long bytes = 0;
            for (Tensor w : weights) bytes += w.numel() * w.dtype().size;
            Tensor[] xs = new Tensor[weights.size()];
            for (int i = 0; i < xs.length; i++) xs[i] = Tensor.randn(i, 1f, batch, 1, weights.get(i).size(1));
            Timed gemvPass = () -> {
                long t0 = System.nanoTime();
                for (int i = 0; i < xs.length; i++) k.linear(xs[i], weights.get(i), null);
                return (System.nanoTime() - t0) / 1e9;
            };
            Timed denseDecode = () -> {
                if (toDense.isEmpty()) return Double.NaN;
                toDense.forEach(Runnable::run);
                try {
                    return decodeStep.seconds();
                } finally {
                    toSparse.forEach(Runnable::run);
                }
            };
            // alternate them so that load from other processes hits all alike
            List<double[]> pairs = new ArrayList<>();
            int measured = timing.measure(() -> pairs.add(new double[] {decodeStep.seconds(), gemvPass.seconds(), denseDecode.seconds()})).length;
            List<double[]> timed = pairs.subList(pairs.size() - measured, pairs.size()); // the runs after warm-up
            double s = Timing.median(sorted(timed, 0)), bound = Timing.median(sorted(timed, 1)), ratio = Timing.median(sorted(timed, 2));
            double tps = batch / s, boundTps = batch / bound;
            json.put("tokens_per_s", round(tps));
            json.put("ms_per_step", round(s * 1e3));
            json.put("weight_bytes", bytes);
            json.put("gbps", round(bytes / s / 1e9));
            json.put("gemv_bound_tokens_per_s", round(boundTps));
            json.put("gemv_gbps", round(bytes / bound / 1e9));
            json.put("fraction_of_bound", round(ratio));
            if (!toDense.isEmpty()) {
                double dense = Timing.median(sorted(timed, 4)), speedup = Timing.median(sorted(timed, 3));
                json.put("dense_tokens_per_s", round(batch / dense));
                json.put("speedup_vs_dense", round(speedup));
                common.log().printf(java.util.Locale.ROOT, "the same weights dense, alternated in the same rounds: %.1f tokens/s; compressed is %.2fx that (median of per-round ratios)%n",
                        batch / dense, speedup);
            }
            text = String.format("decode batch %d after %d tokens: %.2f ms/step, %.1f tokens/s, %.1f GB/s of weights; GEMV bound %.1f tokens/s (%.1f GB/s): %.0f%% of it (%s, median of %d)",
                    batch, seqLen, s * 1e3, tps, bytes / s / 1e9, boundTps, bytes / bound / 1e9, 100 * ratio, k.name(), measured);
        }
        memory.put("peak_heap_bytes", PeakMemory.peakHeapBytes());
        memory.put("peak_rss_bytes", PeakMemory.peakRssBytes());
        common.emit(text, json);
        return 0;
    }

    /** Bytes the linear layers reference: dense weights (heap or mapped) at their dtype, plus compressed copies. */
    private static long heldLinearBytes(LlamaModel m) {
        long b = 0;
        for (int i = 0; i < m.numLayers(); i++)
            for (Linear lin : Linear.values()) {
                LinearLayer l = m.layer(i).linear(lin);
                if (l instanceof NMLinear nm) b += nm.compressedBytes();
                if (!(l instanceof NMLinear nm) || nm.holdsDense()) b += l.weight().value().numel() * l.weight().value().dtype().size;
            }
        return b;
    }

    /** A compressed-only layer's weight, dense, in the dtype of its kept values (a BF16 model compares with BF16). */
    private static Tensor denseCopy(NMLinear l) {
        Tensor d = l.decompress();
        return l.storage() == DType.F32 ? d : d.to(l.storage(), java.lang.foreign.Arena.ofAuto());
    }

    /** Magnitude pruning of every linear weight to {@code target}, in memory (what a pruned checkpoint would hold). */
    private static void pruneByMagnitude(LlamaModel m, Sparsity target) {
        LinearPruner magnitude = Methods.magnitude(false);
        for (int i = 0; i < m.numLayers(); i++) {
            DecoderLayer layer = m.layer(i);
            for (Linear l : Linear.values()) {
                Tensor w = layer.weight(l);
                float[] v = w.toFloatArray();
                magnitude.prune(null, List.of(new LinearWeight(l.weightName(i), v, w.size(0), w.size(1), target)));
                layer.setWeight(l, Tensor.of(v, w.size(0), w.size(1)));
            }
        }
    }

    /** A measurement returning the seconds it took (a decode run excludes its prefill). */
    private interface Timed {
        double seconds();
    }

    /** Column c of the runs (0 decode, 1 GEMV pass, 2 gemv/decode, 3 dense decode / decode, 4 dense decode), sorted. */
    private static double[] sorted(List<double[]> pairs, int c) {
        double[] v = new double[pairs.size()];
        for (int i = 0; i < v.length; i++) {
            double[] p = pairs.get(i);
            v[i] = switch (c) {
                case 0, 1 -> p[c];
                case 2 -> p[1] / p[0];
                case 3 -> p[2] / p[0];
                default -> p[2];
            };
        }
        Arrays.sort(v);
        return v;
    }

    private static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }
}
