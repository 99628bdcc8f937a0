package org.prune4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.bench.GemmBench;
import org.prune4j.bench.GemvBench;
import org.prune4j.bench.StreamBench;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Kernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code prune4j bench}: measurements. Bare, a short kernel report (GEMM at a square and an LLM shape, decode GEMV in
 * F32 and BF16, memory bandwidth) in well under a minute; subcommands measure one thing with chosen sizes.
 * To add a subcommand, write a class like {@link BenchGemm} and add it to the list below.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure the compute kernels (bare: a short kernel report; see the subcommands for single measurements).",
        subcommands = {
                BenchGemm.class,
                BenchGemv.class,
                BenchSparse.class,
                BenchStream.class,
                BenchOpenCommand.class,
                BenchForwardCommand.class,
                BenchPruneCommand.class,
                BenchTrainCommand.class,
                BenchDistillCommand.class,
        })
public final class BenchCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;
    @Mixin TimingOptions timing;
    @Spec CommandSpec spec;

    /** GEMM shapes of the report: square, and an LLM MLP projection (512 tokens, 2048 -> 5632). */
    static final int[][] REPORT_GEMM = {{1024, 1024, 1024}, {512, 5632, 2048}};

    @Override
    public Integer call() {
        Kernels k = device.kernels();
        int threads = k.parallelism();
        int cores = Runtime.getRuntime().availableProcessors();
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        StringBuilder text = new StringBuilder(String.format("prune4j kernel report: %s, %s, %d cores, load average %.1f%s%n",
                k.name(), BenchGemm.vectorInfo(), cores, load, load > cores ? " (busy machine: numbers are low)" : ""));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("kernels", k.name());
        json.put("threads", threads);
        json.put("cores", cores);
        json.put("load", BenchGemm.round(load));
        List<Object> gemms = new ArrayList<>();
        for (int[] s : REPORT_GEMM) {
            common.log().println("bench: gemm " + s[0] + "x" + s[1] + "x" + s[2] + " ...");
            GemmBench.Result r = GemmBench.run(k, s[0], s[1], s[2], timing.timing(spec));
            text.append(BenchGemm.line(r)).append('\n');
            gemms.add(BenchGemm.json(r, threads));
        }
        json.put("gemm", gemms);
        List<Object> gemvs = new ArrayList<>();
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            common.log().println("bench: gemv 4096x4096 " + dt + " ...");
            GemvBench.Result r = GemvBench.run(k, 4096, 4096, dt, timing.timing(spec));
            text.append(BenchGemv.line(r)).append('\n');
            gemvs.add(BenchGemv.json(r, threads));
        }
        json.put("gemv", gemvs);
        common.log().println("bench: stream ...");
        StreamBench.Result st = StreamBench.run(k, StreamBench.DEFAULT_BYTES, timing.timing(spec));
        text.append(BenchStream.line(st));
        json.put("stream", BenchStream.json(st));
        common.emit(text.toString(), json);
        return 0;
    }
}
