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
import org.prune4j.bench.StreamBench;

/**
 * JMH: memory bandwidth, the ceiling of GEMV. {@code read}: vector sum of a 256 MiB array (GB/s = 0.268 / time in s);
 * {@code copy}: 256 MiB copied (twice the bytes move). Run: {@code java -jar bench/target/benchmarks.jar StreamBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class StreamBenchmark {
    @Param({"1", "2"})
    public int threads;

    float[] a, b;

    @Setup
    public void setup() {
        int n = (int) (StreamBench.DEFAULT_BYTES / 4);
        a = new float[n];
        b = new float[n];
        java.util.Arrays.fill(a, 1f);
    }

    @Benchmark
    public double read() {
        return StreamBench.sum(a, threads);
    }

    @Benchmark
    public float[] copy() {
        StreamBench.copy(a, b, threads);
        return b;
    }
}
