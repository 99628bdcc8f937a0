package org.prune4j.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.pruning.structured.RankStats;
import org.prune4j.pruning.structured.ScoringInput;
import org.prune4j.pruning.structured.StructuredCriteria;
import org.prune4j.pruning.structured.StructuredCriterion;
import org.prune4j.pruning.structured.Targets;
import java.util.Map;
import java.util.SplittableRandom;
import org.prune4j.io.data.Windows;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.calibration.CalibrationData;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;
import org.prune4j.pruning.structured.scop.Scop;
import org.prune4j.pruning.structured.scop.ScopConfig;
import org.prune4j.pruning.structured.scop.ScopSelection;
import org.prune4j.pruning.structured.scop.UnitMask;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;

/**
 * The SCOP study of the README: stories260K in-domain, {@code --target intermediate_size=128} and
 * {@code num_attention_heads=4} planned by the structured {@link Planner}, SCOP's variants against random selection
 * (mean of 5 seeds), magnitude, minitron and taylor (the registered criteria), each evaluated by masking the
 * removed units in process; the --fdr 0.1 noise counts; the kept-set overlap over 5 calibration seeds.
 * {@code java ... ScopStudy MODEL_DIR TEXT_DIR [all|neuron|head|stability]}.
 */
public final class ScopStudy {
    private ScopStudy() {}

    public static void main(String[] args) throws Exception {
        if (args[0].equals("speed")) {
            speed(args);
            return;
        }
        Path model = Path.of(args[0]), text = Path.of(args[1]);
        String what = args.length > 2 ? args[2] : "all";
        if (what.equals("diag")) { // the knockoff diagnostics of every kind, and the default SCOP's gate-training time
            Kernels k = new VectorKernels(Runtime.getRuntime().availableProcessors());
            LlamaModel m = LlamaModel.load(model, k);
            int[] train = CalibrationData.tokens(text.resolve("tinystories-train-2mib.txt"), Tokenizers.load(model), "<|endoftext|>", m.config().vocabSize());
            for (UnitKind kind : new UnitKind[] {UnitKind.NEURON, UnitKind.HEAD, UnitKind.CHANNEL}) {
                Scop.Result r = Scop.score(LlamaModel.load(model, k), Windows.first(train, 32, 128), ScopConfig.defaults(kind)
                        .withStatistic(ScopConfig.Statistic.SWAP).withLoss(ScopConfig.Loss.KD), System.out::println);
                System.out.printf("%s: %.1f s; --fdr 0.1 noise %s%n", kind, r.seconds(), Arrays.toString(ScopSelection.fdr(r.scores(), 0.1, true).noise()));
            }
            return;
        }
        Kernels k = new VectorKernels(Runtime.getRuntime().availableProcessors());
        Tokenizer tok = Tokenizers.load(model);
        LlamaModel dense = LlamaModel.load(model, k);
        ModelConfig cfg = dense.config();
        int vocab = cfg.vocabSize();
        int[] train = CalibrationData.tokens(text.resolve("tinystories-train-2mib.txt"), tok, "<|endoftext|>", vocab);
        int[] valid = CalibrationData.tokens(text.resolve("tinystories-valid-201.txt"), tok, "<|endoftext|>", vocab);
        int[][] calib = Windows.first(train, 32, 128);
        int[][] eval = Windows.first(valid, 0, 128);
        System.out.printf("dense ppl %.4f on %d windows of 128%n", Perplexity.evaluate(dense, eval, 16, null).ppl(), eval.length);
        for (UnitKind kind : new UnitKind[] {UnitKind.NEURON, UnitKind.HEAD}) {
            if (!what.equals("all") && !what.equals("stability") && !what.equalsIgnoreCase(kind.name())) continue;
            String target = kind == UnitKind.NEURON ? "intermediate_size=128" : "num_attention_heads=4";
            System.out.printf("%n== %s: --target %s ==%n", kind, target);
            if (!what.equals("stability")) {
                double[] rnd = new double[5];
                for (int s = 0; s < 5; s++) rnd[s] = evalPlan(model, k, kind, plan(cfg, target, score(model, k, "random", kind, calib, Map.of(), s)), eval);
                System.out.printf("%-24s ppl %.4f (seeds 0-4: %s)%n", "random (mean of 5)", Arrays.stream(rnd).average().orElseThrow(), Arrays.toString(round(rnd)));
                List<String[]> runs = new ArrayList<>();
                for (String m : new String[] {"magnitude", "minitron", "taylor"}) runs.add(new String[] {m});
                for (String st : new String[] {"gate", "swap"})
                    for (String loss : new String[] {"lm", "kd"}) runs.add(new String[] {"scop", st, loss});
                for (String[] r : runs) {
                    Map<String, String> opts = r.length == 1 ? Map.of() : Map.of("scop-statistic", r[1], "scop-loss", r[2]);
                    long t0 = System.nanoTime();
                    UnitScores s = score(model, k, r[0], kind, calib, opts, 0);
                    double sec = (System.nanoTime() - t0) / 1e9;
                    String name = r.length == 1 ? r[0] : "scop " + r[1] + "/" + r[2];
                    String noise = "";
                    if (r.length > 1) noise = " --fdr 0.1 noise per layer " + Arrays.toString(ScopSelection.fdr(s, 0.1, true).noise());
                    System.out.printf("%-24s ppl %.4f  (%.1f s)%s%n", name, evalPlan(model, k, kind, plan(cfg, target, s), eval), sec, noise);
                }
            }
            if (what.equals("all") || what.equals("stability")) {
                // kept-set overlap over 5 calibration seeds: 32 seeded random windows of 128 tokens each
                for (String m : new String[] {"minitron", "taylor", "scop"}) {
                    List<Plan> plans = new ArrayList<>();
                    for (int s = 0; s < 5; s++)
                        plans.add(plan(cfg, target, score(model, k, m, kind, Windows.random(train, 32, 128, 100 + s), Map.of(), 0)));
                    double sum = 0;
                    int pairs = 0;
                    for (int a = 0; a < 5; a++)
                        for (int b = a + 1; b < 5; b++)
                            for (int l = 0; l < cfg.numLayers(); l++) {
                                Plan.LayerPlan pa = plans.get(a).layers().get(l), pb = plans.get(b).layers().get(l);
                                sum += kind == UnitKind.NEURON ? RankStats.overlap(pa.neurons(), pb.neurons()) : RankStats.overlap(pa.heads(), pb.heads());
                                pairs++;
                            }
                    System.out.printf("stability %-10s mean pairwise kept-set overlap over 5 calibration seeds: %.3f%n", m, sum / pairs);
                }
            }
        }
    }

    /**
     * SCOP's cost on a synthetic model: {@code speed HIDDEN LAYERS INTERMEDIATE VOCAB WINDOWS STEPS KIND}; random weights
     * (std 0.02), random tokens, windows of 128; prints the total and seconds per layer (statistics and knockoff fit,
     * then gate steps).
     */
    static void speed(String[] a) throws Exception {
        int hidden = Integer.parseInt(a[1]), layers = Integer.parseInt(a[2]), inter = Integer.parseInt(a[3]), vocab = Integer.parseInt(a[4]);
        int windows = Integer.parseInt(a[5]), steps = Integer.parseInt(a[6]);
        UnitKind kind = UnitKind.valueOf(a[7].toUpperCase());
        Kernels k = new VectorKernels(Runtime.getRuntime().availableProcessors());
        int heads = hidden / 64;
        ModelConfig cfg = ModelConfig.builder("LlamaForCausalLM").hiddenSize(hidden).numLayers(layers).numHeads(heads).numKvHeads(heads).headDim(64)
                .intermediateSize(inter).vocabSize(vocab).tieWordEmbeddings(false).maxPositionEmbeddings(256).build();
        LlamaModel m = LlamaModel.random(cfg, 1, 0.02f, k);
        System.out.printf("synthetic model: %,d parameters (hidden %d, %d layers, MLP %d, vocab %d), %d windows of 128, %d steps, %s%n",
                m.parameterCount(), hidden, layers, inter, vocab, windows, steps, kind);
        SplittableRandom r = new SplittableRandom(2);
        int[][] calib = new int[windows][128];
        for (int[] w : calib) for (int i = 0; i < 128; i++) w[i] = r.nextInt(vocab);
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long c0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        long[] fitDone = new long[1];
        Scop.Result res = Scop.score(m, calib, new ScopConfig(kind, ScopConfig.Loss.KD, ScopConfig.Statistic.SWAP, steps, 0.01, 8, 0), s -> {
            if (s.contains("knockoffs for")) fitDone[0] = System.nanoTime();
            System.out.println(s);
        });
        double total = (System.nanoTime() - t0) / 1e9, fit = (fitDone[0] - t0) / 1e9, cpu = (os.getProcessCpuTime() - c0) / 1e9;
        System.out.printf("scop %s: %.1f s in all, %.2f s per layer (statistics + knockoff fit %.2f s/layer, %d gate steps %.2f s/layer); "
                + "process CPU %.1f s (%.2f s per layer) on %d cores, load average %.1f%n",
                kind, total, total / layers, fit / layers, steps, (total - fit) / layers, cpu, cpu / layers, os.getAvailableProcessors(), os.getSystemLoadAverage());
    }

    static UnitScores score(Path dir, Kernels k, String method, UnitKind kind, int[][] calib, Map<String, String> opts, long seed) throws Exception {
        StructuredCriterion c = StructuredCriteria.get(method);
        ScoringInput in = new ScoringInput(LlamaModel.load(dir, k), calib, 8, null, null, seed, opts, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        return c.score(in, Set.of(kind)).get(kind);
    }

    static Plan plan(ModelConfig cfg, String target, UnitScores s) {
        return Planner.plan(cfg, "study", Targets.parse(List.of(target)), Map.of(s.kind(), s), s.criterion(), Planner.Options.DEFAULT);
    }

    static double evalPlan(Path dir, Kernels k, UnitKind kind, Plan p, int[][] eval) throws Exception {
        int[][] kept = new int[p.numLayers()][];
        for (int l = 0; l < kept.length; l++) kept[l] = kind == UnitKind.NEURON ? p.layers().get(l).neurons() : p.layers().get(l).heads();
        return evalKept(dir, k, kind, kept, eval);
    }

    static double[] round(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = Math.round(a[i] * 100) / 100.0;
        return r;
    }

    static double evalKept(Path dir, Kernels k, UnitKind kind, int[][] kept, int[][] eval) throws Exception {
        LlamaModel m = LlamaModel.load(dir, k);
        UnitMask.apply(m, kind, kept);
        return Perplexity.evaluate(m, eval, 16, null).ppl();
    }

    static int units(LlamaModel m, UnitKind kind, int l) {
        return kind == UnitKind.NEURON ? m.layer(l).intermediateSize() : m.layer(l).numHeads();
    }

    static int[][] randomKeep(LlamaModel m, UnitKind kind, int keep, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] kept = new int[m.numLayers()][];
        for (int l = 0; l < kept.length; l++) {
            double[] s = new double[units(m, kind, l)];
            for (int j = 0; j < s.length; j++) s[j] = r.nextDouble();
            kept[l] = ScopSelection.top(s, keep);
        }
        return kept;
    }

    static int[][] topKeep(UnitScores s, int keep) {
        int[][] kept = new int[s.rows()][];
        for (int l = 0; l < kept.length; l++) kept[l] = ScopSelection.top(s.row(l), keep);
        return kept;
    }

}
