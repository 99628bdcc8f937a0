package org.prune4j.bench;

import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.tensor.gemm.Matmul;

/**
 * SGEMM throughput: C[m, n] = A[m, k] · B[k, n] with both operands row-major F32 (numpy's {@code a @ b}), through
 * {@link Kernels#matmul}. Reports the median time of the timed runs and 2·m·n·k / time.
 */
public final class GemmBench {
    private GemmBench() {}

    /**
     * One measurement: shape, median milliseconds per product, GFLOP/s at the median, GFLOP per second of process CPU
     * time (mean over the timed runs) (what a shared machine cannot steal), and how many runs were timed.
     */
    public record Result(String kernels, int m, int n, int k, double ms, double gflops, double cpuGflops, int runs) {}

    /** Measures {@code kernels.matmul} on random operands of the given shape. */
    public static Result run(Kernels kernels, int m, int n, int k, Timing timing) {
        if (m < 1 || n < 1 || k < 1) throw new IllegalArgumentException("gemm sizes must be >= 1, got m=" + m + " n=" + n + " k=" + k);
        if (kernels instanceof VectorKernels && timing.warmupSeconds() > 0) Matmul.warmUp();
        Tensor a = Tensor.randn(1, 1f, m, k), b = Tensor.randn(2, 1f, k, n);
        Timing.Times t = timing.measureBoth(() -> Blackhole.consume(kernels.matmul(a, b)));
        double s = Timing.median(t.wall()), cpu = t.cpuPerCall();
        double flops = 2.0 * m * n * k;
        return new Result(kernels.name(), m, n, k, s * 1e3, flops / s / 1e9, cpu > 0 ? flops / cpu / 1e9 : Double.NaN, t.wall().length);
    }
}
