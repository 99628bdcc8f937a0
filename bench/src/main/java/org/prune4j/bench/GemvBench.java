package org.prune4j.bench;

import java.lang.foreign.Arena;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.tensor.gemm.Matmul;

/**
 * GEMV throughput, the decode path: y = W·x for a weight W [n, k] in Hugging Face's row-major [out, in] layout
 * (numpy's {@code W @ x}), through {@link Kernels#linear}. Memory-bound, so the headline is GB/s of weights read
 * (n·k·bytes per element / time); GFLOP/s is 2·n·k / time. The weight may be stored F32 on the heap, or BF16/F16
 * off-heap the way a mapped checkpoint is (half the bytes to read).
 */
public final class GemvBench {
    private GemvBench() {}

    /** One measurement: shape, weight dtype, median milliseconds, GB/s of weights read, GFLOP/s, GB per process-CPU second, runs timed. */
    public record Result(String kernels, int n, int k, DType dtype, double ms, double gbps, double gflops, double cpuGbps, int runs) {}

    /** Measures {@code kernels.linear(x, W, null)} for a random W [n, k] stored as {@code dtype} (F32, BF16 or F16). */
    public static Result run(Kernels kernels, int n, int k, DType dtype, Timing timing) {
        if (n < 1 || k < 1) throw new IllegalArgumentException("gemv sizes must be >= 1, got n=" + n + " k=" + k);
        if (!dtype.isWeightType()) throw new IllegalArgumentException("gemv weight dtype must be F32, BF16 or F16, got " + dtype);
        if (kernels instanceof VectorKernels && timing.warmupSeconds() > 0) Matmul.warmUp();
        Tensor w = Tensor.randn(3, 0.05f, n, k);
        if (dtype != DType.F32) w = w.to(dtype, Arena.ofAuto());
        Tensor x = Tensor.randn(4, 1f, 1, k);
        Tensor weight = w;
        Timing.Times t = timing.measureBoth(() -> Blackhole.consume(kernels.linear(x, weight, null)));
        double s = Timing.median(t.wall()), cpu = t.cpuPerCall();
        double bytes = (double) n * k * dtype.size;
        return new Result(kernels.name(), n, k, dtype, s * 1e3, bytes / s / 1e9, 2.0 * n * k / s / 1e9, cpu > 0 ? bytes / cpu / 1e9 : Double.NaN, t.wall().length);
    }
}
