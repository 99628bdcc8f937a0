package org.prune4j.bench.jmh;

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
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;

/**
 * JMH: SGEMM at the shapes compared against OpenBLAS ({@code bench/compare-blas.sh}). Time per product; GFLOP/s is
 * 2·m·n·k / time. Run: {@code java -jar bench/target/benchmarks.jar GemmBenchmark -p threads=1}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss4m"})
public class GemmBenchmark {
    /** "m,n,k". */
    @Param({"1024,1024,1024", "2048,2048,2048", "512,5632,2048"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    Kernels kernels;
    Tensor a, b;

    @Setup
    public void setup() {
        String[] s = shape.split(",");
        int m = Integer.parseInt(s[0].trim()), n = Integer.parseInt(s[1].trim()), k = Integer.parseInt(s[2].trim());
        kernels = new VectorKernels(threads);
        a = Tensor.randn(1, 1f, m, k);
        b = Tensor.randn(2, 1f, k, n);
    }

    @Benchmark
    public Tensor matmul() {
        return kernels.matmul(a, b);
    }
}
