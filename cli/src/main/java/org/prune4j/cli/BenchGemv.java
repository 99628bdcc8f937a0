package org.prune4j.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.bench.GemvBench;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Kernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code prune4j bench gemv}: decode GEMV y = W·x with W [n, k] row-major; GB/s of weights read and GFLOP/s. */
@Command(name = "gemv", mixinStandardHelpOptions = true,
        description = "GEMV y = W x, W [n,k] row-major (the decode path): GB/s of weights and GFLOP/s (JSON: {\"gbps\", \"gflops\", ...}).")
public final class BenchGemv implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;
    @Mixin TimingOptions timing;
    @Spec CommandSpec spec;

    @Option(names = "--n", defaultValue = "4096", description = "Rows of W (outputs). Default: ${DEFAULT-VALUE}.")
    int n;

    @Option(names = "--k", defaultValue = "4096", description = "Columns of W (inputs). Default: ${DEFAULT-VALUE}.")
    int k;

    @Option(names = "--dtype", defaultValue = "f32", description = "Weight storage: f32 (heap), bf16 or f16 (off-heap, as mapped from a checkpoint). Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Override
    public Integer call() {
        if (n < 1 || k < 1) throw new UsageException(spec.commandLine(), "bench gemv: --n and --k must be >= 1, got " + n + ", " + k);
        DType dt = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            default -> throw new UsageException(spec.commandLine(), "bench gemv: --dtype must be f32, bf16 or f16, got '" + dtype + "'");
        };
        Kernels kernels = device.kernels();
        GemvBench.Result r = GemvBench.run(kernels, n, k, dt, timing.timing(spec));
        common.emit(line(r), json(r, kernels.parallelism()));
        return 0;
    }

    static String line(GemvBench.Result r) {
        return String.format("gemv   n=%d k=%d %-4s  %9.3f ms  %7.1f GB/s  %6.1f GFLOP/s  (%s, median of %d)",
                r.n(), r.k(), r.dtype().name().toLowerCase(Locale.ROOT), r.ms(), r.gbps(), r.gflops(), r.kernels(), r.runs());
    }

    static Map<String, Object> json(GemvBench.Result r, int threads) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("gbps", BenchGemm.round(r.gbps()));
        o.put("gflops", BenchGemm.round(r.gflops()));
        o.put("ms", BenchGemm.round(r.ms()));
        o.put("cpu_gbps", BenchGemm.round(r.cpuGbps()));
        o.put("n", r.n());
        o.put("k", r.k());
        o.put("dtype", r.dtype().name());
        o.put("threads", threads);
        o.put("kernels", r.kernels());
        o.put("runs", r.runs());
        return o;
    }
}
