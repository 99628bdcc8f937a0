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
import org.prune4j.bench.SparseBench;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.NM;
import org.prune4j.tensor.NMWeight;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;

/**
 * JMH: the same N:M-pruned W [n, k] through the dense linear (zeros stored) and the compressed {@code linearNM}, for
 * one token (GEMV) and {@code m} tokens (GEMM). Compare the dense and nm scores of one run.
 * Run: {@code java -jar bench/target/benchmarks.jar SparseBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss4m"})
public class SparseBenchmark {
    @Param({"2:4", "4:8"})
    public String nm;

    @Param({"4096"})
    public int n;

    @Param({"4096"})
    public int k;

    @Param({"1", "128"})
    public int m;

    @Param({"F32", "BF16"})
    public String dtype;

    @Param({"2"})
    public int threads;

    Kernels kernels;
    Tensor dense, x;
    NMWeight packed;

    @Setup
    public void setup() {
        kernels = new VectorKernels(threads);
        DType dt = DType.valueOf(dtype);
        NM pattern = NM.parse(nm);
        Tensor pruned = SparseBench.prune(Tensor.randn(3, 0.05f, n, k), pattern, new java.util.SplittableRandom(5));
        dense = dt == DType.F32 ? pruned : pruned.to(dt, Arena.ofAuto());
        packed = NMWeight.compress(pruned, pattern, dt, "bench weight");
        x = Tensor.randn(4, 1f, m, k);
    }

    @Benchmark
    public Tensor dense() {
        return kernels.linear(x, dense, null);
    }

    @Benchmark
    public Tensor nm() {
        return kernels.linearNM(x, packed, null);
    }
}
