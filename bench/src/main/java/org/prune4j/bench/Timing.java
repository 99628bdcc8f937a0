package org.prune4j.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * How a measurement is taken: warm-up, then timed runs whose median is reported (the median, not the mean or the
 * best: the machines are shared and noise only adds time).
 *
 * <p>Warm-up has to outlast the JIT. Vector API code runs 100-1000x slower interpreted or in C1 than after C2 has
 * compiled it (the interpreter and C1 run the API's per-lane Java fallbacks), and reaching C2 costs a few seconds of
 * CPU time, not of wall time: on a loaded machine a fixed one-second warm-up times the interpreter. So warm-up lasts
 * until all of these hold: {@code warmupRuns} runs and {@code warmupSeconds} of wall time done; the process (compiler
 * threads included) has used {@code warmupCpuSeconds} of CPU since it started (JIT warm-up happens once per JVM); no
 * JIT compilation finished and no run got more than 10% faster during the last three runs. It gives up waiting after
 * {@code maxWarmupSeconds}. Benchmarks of the vector backend also call {@code Matmul.warmUp()} first.
 */
public record Timing(int warmupRuns, double warmupSeconds, double warmupCpuSeconds, double maxWarmupSeconds, int runs, double minSeconds) {

    public Timing {
        if (warmupRuns < 0 || runs < 1 || !(warmupSeconds >= 0) || !(warmupCpuSeconds >= 0) || !(maxWarmupSeconds >= 0) || !(minSeconds >= 0))
            throw new IllegalArgumentException("timing needs warmupRuns >= 0, runs >= 1 and non-negative times, got " + this);
    }

    /** Reports: 3 warm-up runs and 1 s of warm-up, 3 CPU-s used by the process, at most 60 s; then 9 runs (more when short, for 0.5 s). */
    public static final Timing DEFAULT = new Timing(3, 1.0, 3.0, 60, 9, 0.5);

    /** The same timing with {@code n} timed runs. */
    public Timing withRuns(int n) {
        return new Timing(warmupRuns, warmupSeconds, warmupCpuSeconds, maxWarmupSeconds, n, minSeconds);
    }

    /** Warm-up of at least {@code s} wall seconds and 3·s process CPU seconds, at most max(s, 60) s; 0: just the warm-up runs (tests). */
    public Timing withWarmupSeconds(double s) {
        return new Timing(warmupRuns, s, 3 * s, s == 0 ? 0 : Math.max(s, 60), runs, minSeconds);
    }

    /** Seconds of each timed call of {@code body}, sorted ascending (so the median is the middle element). */
    public double[] measure(Runnable body) {
        return measureBoth(body).wall();
    }

    /**
     * Wall seconds of each timed call (sorted ascending) and the process CPU seconds (all threads: workers, JIT, GC)
     * per call averaged over all timed calls: CPU time is counted in ticks of ~10 ms here, too coarse per call. On a
     * machine shared with other processes wall time also counts waiting for a core; CPU time does not.
     */
    public Times measureBoth(Runnable body) {
        warmUp(body);
        double[] t = new double[runs];
        int n = 0;
        long start = System.nanoTime(), cpu0 = processCpuNanos();
        while (n < runs || (System.nanoTime() - start < minSeconds * 1e9 && n < 10 * runs)) {
            long t0 = System.nanoTime();
            body.run();
            double s = (System.nanoTime() - t0) / 1e9;
            if (n == t.length) t = Arrays.copyOf(t, 2 * t.length);
            t[n++] = s;
        }
        double cpuPerCall = (processCpuNanos() - cpu0) / 1e9 / n;
        t = Arrays.copyOf(t, n);
        Arrays.sort(t);
        return new Times(t, cpuPerCall);
    }

    /** Sorted wall seconds of the timed runs and the mean process-CPU seconds per run. */
    public record Times(double[] wall, double cpuPerCall) {}

    private void warmUp(Runnable body) {
        long start = System.nanoTime();
        double best = Double.POSITIVE_INFINITY;
        int quiet = 0;   // runs since the last compilation finished or the last >10% speed-up
        long compiled = compilationMillis();
        for (int i = 0; ; i++) {
            if (i >= warmupRuns && quiet >= 3 && elapsed(start) >= warmupSeconds
                    && processCpuNanos() / 1e9 >= warmupCpuSeconds) return;
            if (i >= warmupRuns && elapsed(start) >= maxWarmupSeconds) return;
            long t0 = System.nanoTime();
            body.run();
            double s = (System.nanoTime() - t0) / 1e9;
            long c = compilationMillis();
            quiet = (s < 0.9 * best || c != compiled) ? 0 : quiet + 1;
            best = Math.min(best, s);
            compiled = c;
        }
    }

    private static double elapsed(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    /** CPU time of the whole process since it started (JIT compiler threads included); max value where the JVM does not say. */
    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os && os.getProcessCpuTime() >= 0)
            return os.getProcessCpuTime();
        return Long.MAX_VALUE;
    }

    /** Total JIT compilation time so far (ms), or 0 where the JVM does not say. */
    static long compilationMillis() {
        CompilationMXBean c = ManagementFactory.getCompilationMXBean();
        return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() : 0;
    }

    /** Median of sorted times. */
    public static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
