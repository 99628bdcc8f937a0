package org.prune4j.bench;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.NM;
import org.prune4j.tensor.NMWeight;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.tensor.gemm.Matmul;
import org.prune4j.tensor.gemm.NMGemv;

/**
 * Dense vs N:M-compressed linear layers on the same weights, in the same run: a random W [n, k] is pruned to the
 * pattern (random positions), then {@link Kernels#linear} on the dense copy (zeros stored) and {@link Kernels#linearNM}
 * on the compressed one alternate, round after round, for decode (one token: GEMV) and prefill ({@code m} tokens:
 * GEMM). Each round times a block of calls of each; a speedup is the median of the per-round ratios, so load from
 * other processes hits both sides alike. GB/s counts the bytes each kernel must read: n·k·size dense, values plus mask
 * compressed (what the decode kernel of this CPU reads: {@link NMGemv#decodeBytes}). The calling thread's CPU-time ratios are reported beside the wall-time ones: with
 * one thread on a loaded machine they leave out the waiting for a core.
 */
public final class SparseBench {
    private SparseBench() {}

    /** Medians: decode ms and GB/s of each, their speedup; prefill ms of each and their speedup. */
    public record Result(String kernels, NM nm, int n, int k, int m, DType dtype, long denseBytes, long nmBytes,
                         double denseMs, double nmMs, double denseGbps, double nmGbps, double speedup,
                         double densePrefillMs, double nmPrefillMs, double prefillSpeedup, double cpuSpeedup, double cpuPrefillSpeedup, int rounds) {}

    /** Runs {@code rounds} alternating rounds after a warm-up of both kernels by {@code timing}. */
    public static Result run(Kernels kernels, NM nm, int n, int k, int m, DType dtype, Timing timing, int rounds) {
        if (n < 1 || k < 1 || m < 1) throw new IllegalArgumentException("sparse bench sizes must be >= 1, got n=" + n + " k=" + k + " m=" + m);
        if (!dtype.isWeightType()) throw new IllegalArgumentException("sparse bench weight dtype must be F32, BF16 or F16, got " + dtype);
        if (kernels instanceof VectorKernels && timing.warmupSeconds() > 0) Matmul.warmUp();
        Tensor pruned = prune(Tensor.randn(3, 0.05f, n, k), nm, new SplittableRandom(5));
        Tensor dense = dtype == DType.F32 ? pruned : pruned.to(dtype, Arena.ofAuto());
        NMWeight w = NMWeight.compress(pruned, nm, dtype, "bench weight");
        Tensor x1 = Tensor.randn(4, 1f, 1, k), xm = Tensor.randn(6, 1f, m, k);
        Runnable dDec = () -> Blackhole.consume(kernels.linear(x1, dense, null)), sDec = () -> Blackhole.consume(kernels.linearNM(x1, w, null));
        Runnable dPre = () -> Blackhole.consume(kernels.linear(xm, dense, null)), sPre = () -> Blackhole.consume(kernels.linearNM(xm, w, null));
        for (Runnable r : new Runnable[] {dDec, sDec, dPre, sPre}) timing.measure(r); // warm-up (and JIT) for each path
        int decReps = reps(dDec, 0.05), preReps = reps(dPre, 0.1);
        double[] dd = new double[rounds], sd = new double[rounds], dp = new double[rounds], sp = new double[rounds];
        double[] decRatio = new double[rounds], preRatio = new double[rounds], decCpu = new double[rounds], preCpu = new double[rounds];
        double[] cpu = new double[4];
        for (int i = 0; i < rounds; i++) {
            dd[i] = time(dDec, decReps, cpu, 0);
            sd[i] = time(sDec, decReps, cpu, 1);
            dp[i] = time(dPre, preReps, cpu, 2);
            sp[i] = time(sPre, preReps, cpu, 3);
            decRatio[i] = dd[i] / sd[i];
            preRatio[i] = dp[i] / sp[i];
            decCpu[i] = cpu[0] / cpu[1];
            preCpu[i] = cpu[2] / cpu[3];
        }
        double denseS = median(dd), nmS = median(sd);
        long denseBytes = (long) n * k * dtype.size;
        long nmBytes = kernels instanceof VectorKernels ? NMGemv.decodeBytes(w) : w.bytes();
        return new Result(kernels.name(), nm, n, k, m, dtype, denseBytes, nmBytes, denseS * 1e3, nmS * 1e3,
                denseBytes / denseS / 1e9, nmBytes / nmS / 1e9, median(decRatio),
                median(dp) * 1e3, median(sp) * 1e3, median(preRatio), median(decCpu), median(preCpu), rounds);
    }

    /** Zeroes N random inputs of every full group of M in each row (a copy). */
    public static Tensor prune(Tensor w, NM nm, SplittableRandom r) {
        int rows = w.size(0), cols = w.size(1), m = nm.m();
        float[] v = w.toFloatArray();
        int[] perm = new int[m];
        for (int row = 0; row < rows; row++)
            for (int g = 0; g + m <= cols; g += m) {
                for (int i = 0; i < m; i++) perm[i] = i;
                for (int i = 0; i < nm.n(); i++) {
                    int j = i + r.nextInt(m - i), t = perm[i];
                    perm[i] = perm[j];
                    perm[j] = t;
                    v[row * cols + g + perm[i]] = 0f;
                }
            }
        return Tensor.of(v, rows, cols);
    }

    /** Calls per timed block so that a block lasts about {@code seconds}. */
    private static int reps(Runnable body, double seconds) {
        double one = time(body, 3, new double[1], 0);
        return (int) Math.max(1, Math.min(10_000, seconds / Math.max(one, 1e-7)));
    }

    /**
     * Mean wall seconds per call over {@code reps} calls; the calling thread's CPU seconds per call go to cpu[slot]. With
     * one thread the caller does all the work, so on a machine loaded by other processes the CPU time counts only the
     * time the kernel ran, not the time it waited for a core.
     */
    private static double time(Runnable body, int reps, double[] cpu, int slot) {
        long c0 = THREADS.getCurrentThreadCpuTime(), t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) body.run();
        long t1 = System.nanoTime(), c1 = THREADS.getCurrentThreadCpuTime();
        cpu[slot] = (c1 - c0) / 1e9 / reps;
        return (t1 - t0) / 1e9 / reps;
    }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return Timing.median(s);
    }
}
