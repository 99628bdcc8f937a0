package org.prune4j.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.data.Windows;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.calibration.CalibrationData;
import org.prune4j.pruning.structured.Aggregation;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.pruning.structured.StructuredPruner;
import org.prune4j.pruning.structured.Targets;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;

/**
 * The README's structured-pruning table in one JVM: every run of {@code bench/structured-stories.sh} (the same
 * {@code prune} library call, the model written to disk and loaded back, the same {@code eval} computation), without
 * a JVM start and JIT warm-up per row.
 *
 * <pre>java --add-modules=jdk.incubator.vector -cp cli/target/prune4j.jar org.prune4j.bench.StructuredTable A|B SHARED_DIR WORK_DIR [ROWS]</pre>
 * ROWS (optional) is a comma list of row groups to run: dense, num_attention_heads, intermediate_size, hidden_size,
 * num_hidden_layers, num_key_value_heads (default: all), so that groups can run as separate processes.
 */
public final class StructuredTable {
    private StructuredTable() {}

    public static void main(String[] args) throws IOException {
        String proto = args[0];
        Path shared = Path.of(args[1]), work = Path.of(args[2]), model = shared.resolve("models/stories260K");
        List<String> rows = args.length > 3 ? List.of(args[3].split(",")) : List.of("dense", "num_attention_heads", "intermediate_size", "hidden_size",
                "num_hidden_layers", "num_key_value_heads");
        Files.createDirectories(work);
        boolean a = proto.equals("A");
        Path calib = shared.resolve(a ? "data/text/wikitext2-valid.txt" : "data/text/tinystories-train-2mib.txt");
        Path eval = shared.resolve(a ? "data/text/wikitext2-test.txt" : "data/text/tinystories-valid-201.txt");
        String sep = a ? null : "<|endoftext|>";
        Kernels k = new VectorKernels(2);
        ModelConfig cfg = ModelConfig.read(model);
        Tokenizer tok = Tokenizers.load(model);
        int[][] cw = CalibrationData.windows(CalibrationData.tokens(calib, tok, sep, cfg.vocabSize()), 32, 128, CalibrationData.Sampling.FIRST, 0, calib.toString());
        int[][] ew = Windows.first(TokenData.fromText(eval, tok, sep, true), a ? 64 : 0, 128, eval.toString());
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        System.out.println("| target | method | perplexity |");
        System.out.println("|---|---|---|");
        if (rows.contains("dense")) System.out.printf(Locale.ROOT, "| dense | - | %.2f |%n", Perplexity.evaluate(LlamaModel.load(model, k), ew, 8, null).ppl());
        for (String t : List.of("num_attention_heads=4", "intermediate_size=128", "hidden_size=48", "num_hidden_layers=4")) {
            if (!rows.contains(t.substring(0, t.indexOf('=')))) continue;
            boolean layers = t.startsWith("num_hidden_layers");
            List<String[]> runs = new ArrayList<>();
            runs.add(new String[] {"minitron", "minitron"});
            runs.add(new String[] {"magnitude", "magnitude"});
            if (!layers) runs.add(new String[] {"wanda", "wanda"});
            else {
                runs.add(new String[] {"minitron --depth-metric loss", "minitron", "loss"});
                runs.add(new String[] {"minitron --contiguous", "minitron", "contiguous"});
            }
            for (String[] r : runs) {
                boolean contiguous = r.length > 2 && r[2].equals("contiguous");
                Map<String, String> opts = Map.of("depth-metric", r.length > 2 && r[2].equals("loss") ? "loss" : "bi");
                System.out.printf(Locale.ROOT, "| %s | %s | %.2f |%n", t, r[0], run(model, cfg, k, r[1], List.of(t), Planner.KvReduce.MEAN_POOL, contiguous, opts, 0, cw, ew, work, quiet));
            }
            double[] v = new double[5];
            for (int s = 1; s <= 5; s++) v[s - 1] = run(model, cfg, k, "random", List.of(t), Planner.KvReduce.MEAN_POOL, false, Map.of(), s, cw, ew, work, quiet);
            double mean = java.util.Arrays.stream(v).average().orElseThrow();
            System.out.printf(Locale.ROOT, "| %s | random (mean of 5 seeds, range) | %.2f (%.2f-%.2f) |%n", t, mean,
                    java.util.Arrays.stream(v).min().orElseThrow(), java.util.Arrays.stream(v).max().orElseThrow());
        }
        for (int g : rows.contains("num_key_value_heads") ? new int[] {2, 1} : new int[0]) {
            String t = "num_key_value_heads=" + g;
            System.out.printf(Locale.ROOT, "| %s | mean-pool | %.2f |%n", t, run(model, cfg, k, null, List.of(t), Planner.KvReduce.MEAN_POOL, false, Map.of(), 0, cw, ew, work, quiet));
            System.out.printf(Locale.ROOT, "| %s | minitron --kv-reduce prune | %.2f |%n", t, run(model, cfg, k, "minitron", List.of(t), Planner.KvReduce.PRUNE, false, Map.of(), 0, cw, ew, work, quiet));
        }
    }

    static double run(Path model, ModelConfig cfg, Kernels k, String method, List<String> targets, Planner.KvReduce kv, boolean contiguous,
                      Map<String, String> opts, long seed, int[][] calib, int[][] eval, Path work, PrintStream log) throws IOException {
        Path out = work.resolve("out");
        StructuredPruner.Job job = new StructuredPruner.Job(method, Targets.parse(targets), new Planner.Options(kv, Planner.Allocation.UNIFORM, contiguous),
                null, null, () -> calib, 8, Aggregation.MEAN, Aggregation.L2, seed, opts, out, true, Map.of("pruned_by", "prune4j"));
        try (SafeTensors st = SafeTensors.open(model)) {
            StructuredPruner.run(model, cfg, TensorSource.of(st), () -> LlamaModel.load(st, cfg, k), job, log);
        }
        return Perplexity.evaluate(LlamaModel.load(out, k), eval, 8, null).ppl();
    }
}
