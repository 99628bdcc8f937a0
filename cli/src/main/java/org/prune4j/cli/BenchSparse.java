package org.prune4j.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.bench.SparseBench;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.NM;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code prune4j bench sparse}: dense vs N:M-compressed linear layers on the same pruned weight, alternated in one run. */
@Command(name = "sparse", mixinStandardHelpOptions = true,
        description = {"Dense vs N:M-compressed y = x W^T on the same pruned W [n,k], alternated round by round: decode (GEMV) and prefill (GEMM of --m tokens).",
                "JSON: {\"dense_gbps\", \"nm_gbps\", \"speedup\", \"prefill_speedup\", ...}; GB/s count the bytes each kernel reads."})
public final class BenchSparse implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;
    @Mixin TimingOptions timing;
    @Spec CommandSpec spec;

    @Option(names = "--nm", defaultValue = "2:4", description = "Pattern: N of every M inputs pruned. Default: ${DEFAULT-VALUE}.")
    String nm;

    @Option(names = "--n", defaultValue = "4096", description = "Rows of W (outputs). Default: ${DEFAULT-VALUE}.")
    int n;

    @Option(names = "--k", defaultValue = "4096", description = "Columns of W (inputs). Default: ${DEFAULT-VALUE}.")
    int k;

    @Option(names = "--m", defaultValue = "128", description = "Prefill tokens (rows of x) for the GEMM. Default: ${DEFAULT-VALUE}.")
    int m;

    @Option(names = "--dtype", defaultValue = "f32", description = "Weight values: f32, bf16 or f16 (dense and compressed alike). Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Option(names = "--rounds", defaultValue = "9", description = "Alternating rounds; medians are reported. Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Override
    public Integer call() {
        var cl = spec.commandLine();
        if (n < 1 || k < 1 || m < 1 || rounds < 1) throw new UsageException(cl, "bench sparse: --n, --k, --m and --rounds must be >= 1");
        NM pattern;
        try {
            pattern = NM.parse(nm);
        } catch (IllegalArgumentException e) {
            throw new UsageException(cl, "bench sparse: --nm: " + e.getMessage());
        }
        DType dt = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            default -> throw new UsageException(cl, "bench sparse: --dtype must be f32, bf16 or f16, got '" + dtype + "'");
        };
        Kernels kernels = device.kernels();
        SparseBench.Result r = SparseBench.run(kernels, pattern, n, k, m, dt, timing.timing(spec), rounds);
        String text = String.format(Locale.ROOT,
                "sparse %s n=%d k=%d %s: decode dense %.3f ms (%.1f GB/s) vs N:M %.3f ms (%.1f GB/s of %.4f x the bytes): %.2fx; "
                        + "prefill m=%d dense %.2f ms vs N:M %.2f ms: %.2fx; calling-thread CPU ratios %.2fx, %.2fx (%s, medians of %d alternating rounds)",
                r.nm(), r.n(), r.k(), dt.name().toLowerCase(Locale.ROOT), r.denseMs(), r.denseGbps(), r.nmMs(), r.nmGbps(),
                (double) r.nmBytes() / r.denseBytes(), r.speedup(), r.m(), r.densePrefillMs(), r.nmPrefillMs(), r.prefillSpeedup(), r.cpuSpeedup(), r.cpuPrefillSpeedup(), r.kernels(), r.rounds());
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("dense_gbps", BenchGemm.round(r.denseGbps()));
        o.put("nm_gbps", BenchGemm.round(r.nmGbps()));
        o.put("speedup", BenchGemm.round(r.speedup()));
        o.put("dense_ms", BenchGemm.round(r.denseMs()));
        o.put("nm_ms", BenchGemm.round(r.nmMs()));
        o.put("bytes_ratio", BenchGemm.round((double) r.nmBytes() / r.denseBytes()));
        o.put("prefill_m", r.m());
        o.put("prefill_dense_ms", BenchGemm.round(r.densePrefillMs()));
        o.put("prefill_nm_ms", BenchGemm.round(r.nmPrefillMs()));
        o.put("prefill_speedup", BenchGemm.round(r.prefillSpeedup()));
        o.put("cpu_speedup", BenchGemm.round(r.cpuSpeedup()));
        o.put("cpu_prefill_speedup", BenchGemm.round(r.cpuPrefillSpeedup()));
        o.put("nm", r.nm().label());
        o.put("n", r.n());
        o.put("k", r.k());
        o.put("dtype", dt.name());
        o.put("threads", kernels.parallelism());
        o.put("kernels", r.kernels());
        o.put("rounds", r.rounds());
        common.emit(text, o);
        return 0;
    }
}
