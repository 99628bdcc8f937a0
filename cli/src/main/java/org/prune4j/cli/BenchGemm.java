package org.prune4j.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import jdk.incubator.vector.FloatVector;
import org.prune4j.bench.GemmBench;
import org.prune4j.tensor.Kernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code prune4j bench gemm}: SGEMM throughput of A[m, k]·B[k, n] (row-major F32), median of timed runs. */
@Command(name = "gemm", mixinStandardHelpOptions = true,
        description = "SGEMM C[m,n] = A[m,k] B[k,n]: median ms and GFLOP/s (JSON: {\"gflops\", \"ms\", \"m\", \"n\", \"k\", \"threads\"}).")
public final class BenchGemm implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;
    @Mixin TimingOptions timing;
    @Spec CommandSpec spec;

    @Option(names = "--m", defaultValue = "1024", description = "Rows of A and C. Default: ${DEFAULT-VALUE}.")
    int m;

    @Option(names = "--n", defaultValue = "1024", description = "Columns of B and C. Default: ${DEFAULT-VALUE}.")
    int n;

    @Option(names = "--k", defaultValue = "1024", description = "Inner dimension. Default: ${DEFAULT-VALUE}.")
    int k;

    @Override
    public Integer call() {
        if (m < 1 || n < 1 || k < 1) throw new UsageException(spec.commandLine(), "bench gemm: --m, --n and --k must be >= 1, got " + m + ", " + n + ", " + k);
        Kernels kernels = device.kernels();
        GemmBench.Result r = GemmBench.run(kernels, m, n, k, timing.timing(spec));
        common.emit(line(r), json(r, kernels.parallelism()));
        return 0;
    }

    static String line(GemmBench.Result r) {
        return String.format("gemm   m=%d n=%d k=%d  %9.3f ms  %7.1f GFLOP/s  (%.1f per CPU-second; %s, median of %d)",
                r.m(), r.n(), r.k(), r.ms(), r.gflops(), r.cpuGflops(), r.kernels(), r.runs());
    }

    static Map<String, Object> json(GemmBench.Result r, int threads) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("gflops", round(r.gflops()));
        o.put("ms", round(r.ms()));
        o.put("cpu_gflops", round(r.cpuGflops()));
        o.put("m", r.m());
        o.put("n", r.n());
        o.put("k", r.k());
        o.put("threads", threads);
        o.put("kernels", r.kernels());
        o.put("runs", r.runs());
        return o;
    }

    /** "AVX-512 class: 16 float lanes" style description of the vector unit the JIT targets. */
    static String vectorInfo() {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        return bits + "-bit vectors (" + FloatVector.SPECIES_PREFERRED.length() + " float lanes)";
    }

    /** Four significant decimals are plenty for timings (NaN, which JSON cannot hold, becomes 0). */
    static double round(double v) {
        if (Double.isNaN(v)) return 0;
        if (Double.isInfinite(v) || v == 0) return v;
        double scale = Math.pow(10, 3 - (int) Math.floor(Math.log10(Math.abs(v))));
        return Math.round(v * scale) / scale;
    }
}
