package org.prune4j.bench.jmh;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;

/**
 * JMH: decode GEMV y = W·x, W [n, k] row-major (F32 heap, or BF16/F16 off-heap like a mapped checkpoint). GB/s of
 * weights = n·k·bytes / time. Run: {@code java -jar bench/target/benchmarks.jar GemvBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss4m"})
public class GemvBenchmark {
    @Param({"4096"})
    public int n;

    @Param({"4096"})
    public int k;

    @Param({"F32", "BF16"})
    public String dtype;

    @Param({"1", "2"})
    public int threads;

    Kernels kernels;
    Tensor w, x;

    @Setup
    public void setup() {
        kernels = new VectorKernels(threads);
        w = Tensor.randn(3, 0.05f, n, k);
        DType dt = DType.valueOf(dtype);
        if (dt != DType.F32) w = w.to(dt, Arena.ofAuto());
        x = Tensor.randn(4, 1f, 1, k);
    }

    @Benchmark
    public Tensor linear() {
        return kernels.linear(x, w, null);
    }
}
