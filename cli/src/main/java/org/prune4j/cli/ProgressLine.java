package org.prune4j.cli;

import java.io.PrintStream;

/**
 * Progress of a long run on stderr as plain lines ("eval: 1,024/1,533 tokens (67%), 512 tokens/s, ETA 0:01"),
 * at most one per {@code intervalMs} plus the final one, so logs stay readable when stderr is a file.
 */
final class ProgressLine {
    private final PrintStream err;
    private final String what, unit;
    private final long total, intervalMs;
    private final long start = System.nanoTime();
    private long lastPrint;
    private final boolean quiet;

    ProgressLine(PrintStream err, String what, long total, String unit, boolean quiet) {
        this.err = err;
        this.what = what;
        this.total = total;
        this.unit = unit;
        this.intervalMs = 1000;
        this.quiet = quiet;
    }

    /** Reports {@code done} of the total. */
    void update(long done) {
        if (quiet) return;
        long now = System.nanoTime();
        if (done < total && (now - lastPrint) / 1_000_000 < intervalMs) return;
        lastPrint = now;
        double secs = Math.max(1e-9, (now - start) / 1e9);
        double rate = done / secs;
        String eta = rate > 0 && done < total ? ", ETA " + clock((total - done) / rate) : "";
        err.printf("%s: %,d/%,d %s (%d%%), %,.0f %s/s%s%n", what, done, total, unit, total == 0 ? 100 : done * 100 / total, rate, unit, eta);
        err.flush();
    }

    /** Seconds since creation. */
    double elapsed() {
        return (System.nanoTime() - start) / 1e9;
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
    }
}
