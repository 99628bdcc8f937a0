package org.prune4j.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Parallel;

/**
 * The machine's memory bandwidth, the ceiling for GEMV and every other memory-bound kernel: "read" is a vector sum
 * over a float array far larger than the caches (GB/s of array read), "copy" copies one such array into another and
 * counts bytes read plus bytes written, as STREAM does. Both run on the kernel pool with the backend's thread count.
 */
public final class StreamBench {
    private StreamBench() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Read and copy bandwidth in GB/s (medians), the array size used and the threads. */
    public record Result(double readGbps, double copyGbps, long bytes, int threads, int runs) {}

    /** Default array: 256 MiB, well past any L3 here. */
    public static final long DEFAULT_BYTES = 256L << 20;

    /** Measures with the thread count of {@code kernels} (all cores for backends that do not say). */
    public static Result run(Kernels kernels, long bytes, Timing timing) {
        int threads = kernels.parallelism();
        long n = bytes / 4;
        if (n < F.length() || n > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("stream array must hold between " + F.length() + " and 2^31 floats, got " + bytes + " bytes");
        float[] a = new float[(int) n], b = new float[(int) n];
        java.util.Arrays.fill(a, 1f);
        double[] tr = timing.measure(() -> Blackhole.consume(sum(a, threads)));
        double[] tc = timing.measure(() -> copy(a, b, threads));
        double sr = Timing.median(tr), sc = Timing.median(tc);
        return new Result(4.0 * n / sr / 1e9, 8.0 * n / sc / 1e9, 4L * n, threads, Math.min(tr.length, tc.length));
    }

    /** Vector sum of a (the read kernel), split over threads (four accumulators hide the add latency). */
    public static double sum(float[] a, int threads) {
        java.util.concurrent.atomic.DoubleAdder total = new java.util.concurrent.atomic.DoubleAdder();
        int L = F.length(), chunkAlign = 16 * L;
        long chunks = (a.length + chunkAlign - 1) / chunkAlign;
        Parallel.forRange(threads, chunks, 1, (c0, c1) -> {
            int from = (int) (c0 * chunkAlign), to = (int) Math.min(a.length, c1 * chunkAlign);
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            int i = from;
            for (; i + 4 * L <= to; i += 4 * L) {
                s0 = s0.add(FloatVector.fromArray(F, a, i));
                s1 = s1.add(FloatVector.fromArray(F, a, i + L));
                s2 = s2.add(FloatVector.fromArray(F, a, i + 2 * L));
                s3 = s3.add(FloatVector.fromArray(F, a, i + 3 * L));
            }
            double s = s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
            for (; i < to; i++) s += a[i];
            total.add(s);
        });
        return total.sum();
    }

    /** b = a (the copy kernel), split over threads. */
    public static void copy(float[] a, float[] b, int threads) {
        int grain = 1 << 20;
        long chunks = (a.length + grain - 1) / grain;
        Parallel.forRange(threads, chunks, 1, (c0, c1) -> {
            int from = (int) (c0 * grain), to = (int) Math.min(a.length, c1 * grain);
            System.arraycopy(a, from, b, from, to - from);
        });
    }
}
