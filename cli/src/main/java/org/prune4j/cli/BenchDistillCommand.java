package org.prune4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.autograd.AdamW;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.bench.Timing;
import org.prune4j.distill.KdObjective;
import org.prune4j.distill.Objective;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench distill}: distillation throughput on {@code bench train}'s synthetic shapes, one step being what
 * {@code distill} does with its defaults (teacher forward on the inference path, student forward on the tape, forward
 * KL at T = 1 plus the logged CE, backward, global-norm clipping, AdamW with PyTorch's defaults), so it can be set
 * beside {@code bench train} and beside PyTorch doing the same step ({@code bench/distill-bench-vs-torch.sh}).
 */
@Command(name = "distill", mixinStandardHelpOptions = true,
        description = "Distillation tokens/s on bench train's random shapes (teacher forward, student forward/backward, KL, AdamW).")
public final class BenchDistillCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;
    @Mixin TimingOptions timingOptions;
    @Mixin TrainShape shape;

    @Option(names = "--teacher-layers", description = "Teacher layers (default: as many as the student).")
    Integer teacherLayers;

    @Override
    public Integer call() throws Exception {
        var cl = spec.commandLine();
        int tl = teacherLayers != null ? teacherLayers : shape.layers;
        shape.check(cl);
        if (tl < 1) throw new UsageException(cl, "--teacher-layers must be >= 1");
        Timing timing = timingOptions.timing(spec);
        Kernels k = device.kernels();
        LlamaModel teacher = LlamaModel.random(shape.config(tl), 2, 0.02f, k);
        LlamaModel student = LlamaModel.random(shape.config(shape.layers), 1, 0.02f, k);
        student.setTrainable(true);
        KdObjective kd = new KdObjective(teacher, student, KdObjective.Config.logits(KdObjective.LogitLoss.KL, 1f, 1), 1);
        List<Var> params = new ArrayList<>(student.parameters().values());
        AdamW opt = new AdamW(params, v -> v.rank() >= 2, new AdamW.Settings(0.9, 0.999, 1e-8, 0), k.parallelism());
        int[][] tokens = shape.randomTokens();
        common.log().printf(Locale.ROOT, "bench distill: teacher %,d parameters (%d layers), student %,d (%d layers), %d x %d tokens per step%n",
                teacher.parameterCount(), tl, student.parameterCount(), shape.layers, shape.batch, shape.seqLen);

        List<double[]> phases = new ArrayList<>();   // loss (teacher + student forward), backward, optimizer seconds of each step
        Runnable step = () -> {
            long t0 = System.nanoTime();
            Tape tape = new Tape(k);
            student.zeroGrad();
            Objective.Loss loss = kd.loss(tape, tokens);                  // teacher once, no tape; student on the tape
            long t1 = System.nanoTime();
            tape.backward(loss.total());
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
        double tps = (double) shape.batch * shape.seqLen / s;

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("teacher_parameters", teacher.parameterCount());
        json.put("student_parameters", student.parameterCount());
        json.put("teacher_layers", tl);
        json.put("config", student.config().toString());
        json.put("batch", shape.batch);
        json.put("seq_len", shape.seqLen);
        json.put("kernels", k.name());
        json.put("tokens_per_s", round(tps));
        json.put("ms_per_step", round(s * 1e3));
        json.put("forward_ms", round(fwd * 1e3));
        json.put("backward_ms", round(bwd * 1e3));
        json.put("optimizer_ms", round(optim * 1e3));
        json.put("cpu_s_per_step", round(times.cpuPerCall()));
        common.emit(String.format(Locale.ROOT,
                "distill step %d x %d tokens, teacher %,d / student %,d parameters: %.1f ms (teacher + student forward %.1f, backward %.1f, clip+AdamW %.1f), %.0f tokens/s, %.2f CPU-s per step (%s, median of %d)",
                shape.batch, shape.seqLen, teacher.parameterCount(), student.parameterCount(), s * 1e3, fwd * 1e3, bwd * 1e3, optim * 1e3, tps, times.cpuPerCall(), k.name(), wall.length), json);
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
