package org.prune4j.pruning.structured;

import java.io.PrintStream;

/**
 * Progress of a long scoring pass, reported as plain lines on stderr ("taylor: 12/32 windows (37%), ETA 0:03"), at most
 * one a second plus the last, so that a log file stays readable. {@link #NONE} for tests and library callers.
 */
public interface Progress {
    /** {@code done} of {@code total} {@code unit}s of the pass {@code what}. */
    void update(String what, long done, long total, String unit);

    Progress NONE = (w, d, t, u) -> {};

    /** Lines with rate and ETA on {@code err}, timed from the first call of each pass. */
    static Progress lines(PrintStream err) {
        return new Progress() {
            private String pass;
            private long start, last;

            @Override public void update(String what, long done, long total, String unit) {
                long now = System.nanoTime();
                if (!what.equals(pass)) {
                    pass = what;
                    start = now;
                    last = 0;
                }
                if (done < total && (now - last) < 1_000_000_000L) return;
                last = now;
                double secs = Math.max(1e-9, (now - start) / 1e9), rate = done / secs;
                String eta = done > 0 && done < total ? String.format(", ETA %s", clock((total - done) / rate)) : "";
                err.printf("%s: %,d/%,d %s (%d%%), %.1f s%s%n", what, done, total, unit, total == 0 ? 100 : done * 100 / total, secs, eta);
                err.flush();
            }
        };
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
    }
}
