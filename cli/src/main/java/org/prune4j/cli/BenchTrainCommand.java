package org.prune4j.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.autograd.AdamW;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.bench.Timing;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench train}: training throughput of a random Llama of a given shape, one step being what {@code distill.TrainLoop}
 * does (forward, next-token cross-entropy, backward, global-norm clipping, AdamW). Reports tokens/s and the effective
 * GFLOP/s (6 x parameters x tokens, the usual estimate, attention excluded) as medians after warm-up, plus the median
 * split into forward, backward and optimizer. {@code --profile} adds the time of every op, forward and backward.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Training tokens/s of a random Llama of the given shape (forward, backward, AdamW).")
public final class BenchTrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;
    @Mixin TimingOptions timingOptions;
    @Mixin TrainShape shape;

    @Option(names = "--profile", description = "Also print the time of every op (forward and backward) per step.")
    boolean profile;

    @Override
    public Integer call() throws Exception {
        var cl = spec.commandLine();
        shape.check(cl);
        Timing timing = timingOptions.timing(spec);
        Kernels k = device.kernels();
        ModelConfig cfg = shape.config(shape.layers);
        LlamaModel m = LlamaModel.random(cfg, 1, 0.02f, k);
        m.setTrainable(true);
        List<Var> params = new ArrayList<>(m.parameters().values());
        AdamW opt = new AdamW(params, v -> v.rank() >= 2, new AdamW.Settings(0.9, 0.95, 1e-8, 0.1), k.parallelism());
        int[][] tokens = shape.randomTokens();
        common.log().printf(Locale.ROOT, "bench train: %,d parameters (%s), %d x %d tokens per step%n", m.parameterCount(), cfg, shape.batch, shape.seqLen);

        List<double[]> phases = new ArrayList<>();   // forward, backward, optimizer seconds of each step
        Tape.Profile[] prof = {null};
        Runnable step = () -> {
            long t0 = System.nanoTime();
            Tape tape = new Tape(k);
            if (prof[0] != null) tape.profile(prof[0]);
            m.zeroGrad();
            Var loss = m.loss(tape, tokens, Observer.NONE);
            long t1 = System.nanoTime();
            tape.backward(loss);
            long t2 = System.nanoTime();
            AdamW.clipGradNorm(params, 1.0);
            opt.step(1e-4);
            long t3 = System.nanoTime();
            phases.add(new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9});
        };
        Timing.Times times = timing.measureBoth(step);
        double[] wall = times.wall();
        double s = Timing.median(wall);
        List<double[]> timed = phases.subList(phases.size() - wall.length, phases.size());
        double fwd = median(timed, 0), bwd = median(timed, 1), optim = median(timed, 2);
        long tokensPerStep = (long) shape.batch * shape.seqLen;
        double tps = tokensPerStep / s, gflops = 6.0 * m.parameterCount() * tps / 1e9;

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("parameters", m.parameterCount());
        json.put("config", cfg.toString());
        json.put("batch", shape.batch);
        json.put("seq_len", shape.seqLen);
        json.put("kernels", k.name());
        json.put("tokens_per_s", round(tps));
        json.put("ms_per_step", round(s * 1e3));
        json.put("forward_ms", round(fwd * 1e3));
        json.put("backward_ms", round(bwd * 1e3));
        json.put("optimizer_ms", round(optim * 1e3));
        json.put("gflops", round(gflops));
        json.put("cpu_s_per_step", round(times.cpuPerCall()));
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "train step %d x %d tokens, %,d parameters: %.1f ms (forward %.1f, backward %.1f, clip+AdamW %.1f), %.0f tokens/s, %.1f GFLOP/s (6N), %.2f CPU-s per step (%s, median of %d)",
                shape.batch, shape.seqLen, m.parameterCount(), s * 1e3, fwd * 1e3, bwd * 1e3, optim * 1e3, tps, gflops, times.cpuPerCall(), k.name(), wall.length));
        if (profile) {
            Tape.Profile p = new Tape.Profile();
            prof[0] = p;
            int n = 5;
            for (int i = 0; i < n; i++) step.run();
            prof[0] = null;
            List<Map.Entry<String, long[]>> ops = new ArrayList<>(p.ops().entrySet());
            ops.sort(Comparator.comparingLong(e -> -(e.getValue()[0] + e.getValue()[1])));
            text.append(String.format(Locale.ROOT, "%n%nper step (mean of %d profiled steps):%n%-14s %10s %10s %8s%n", n, "op", "forward ms", "backward ms", "calls"));
            List<Object> rows = new ArrayList<>();
            for (Map.Entry<String, long[]> e : ops) {
                long[] v = e.getValue();
                text.append(String.format(Locale.ROOT, "%-14s %10.2f %10.2f %8d%n", e.getKey(), v[0] / 1e6 / n, v[1] / 1e6 / n, v[2] / n));
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("op", e.getKey());
                o.put("forward_ms", round(v[0] / 1e6 / n));
                o.put("backward_ms", round(v[1] / 1e6 / n));
                o.put("calls", v[2] / n);
                rows.add(o);
            }
            json.put("profile", rows);
        }
        common.emit(text.toString().stripTrailing(), json);
        return 0;
    }

    private static double median(List<double[]> rows, int c) {
        double[] v = new double[rows.size()];
        for (int i = 0; i < v.length; i++) v[i] = rows.get(i)[c];
        java.util.Arrays.sort(v);
        return Timing.median(v);
    }

    private static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }
}
