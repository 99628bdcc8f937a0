package org.prune4j.pruning.structured;

import java.util.List;
import java.util.SplittableRandom;

/**
 * How stable a criterion's top-k is under resampling of the calibration windows (Efron's bootstrap): R resamples of the
 * N windows drawn with replacement from a seed, the criterion re-run on each, and per row of scores (a layer, or the
 * one row of channels and layers) the top k = ⌈fraction · units⌉ compared: the mean overlap |A ∩ B| / k over every
 * pair of resamples, and the mean overlap of each resample's top-k with the top-k on all windows.
 */
public final class Bootstrap {
    private Bootstrap() {}

    /** {@code r} resamples of window indices 0..n-1, each of size n, with replacement; seeded. */
    public static int[][] resamples(int n, int r, long seed) {
        if (n < 1 || r < 1) throw new IllegalArgumentException("a bootstrap needs n >= 1 windows and r >= 1 resamples, got " + n + ", " + r);
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] out = new int[r][n];
        for (int[] s : out) for (int i = 0; i < n; i++) s[i] = rnd.nextInt(n);
        return out;
    }

    /** The windows a resample picks. */
    public static int[][] pick(int[][] windows, int[] resample) {
        int[][] w = new int[resample.length][];
        for (int i = 0; i < resample.length; i++) w[i] = windows[resample[i]];
        return w;
    }

    /** Mean pairwise overlap of the resamples' top-k sets, and their mean overlap with the full data's top-k. */
    public record Stability(int k, double pairwise, double vsFull, int resamples) {}

    /** k for a row of {@code units}: ⌈fraction · units⌉, at least 1. */
    public static int k(int units, double fraction) {
        return Math.max(1, Math.min(units, (int) Math.ceil(fraction * units - 1e-9)));
    }

    /** Top-k stability of {@code resampled} (one UnitScores per resample) against {@code full}, averaged over rows. */
    public static Stability topK(UnitScores full, List<UnitScores> resampled, double fraction) {
        if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("the top-k fraction must be in (0, 1], got " + fraction);
        int rows = full.rows(), r = resampled.size();
        double pair = 0, vs = 0;
        int kMax = 0;
        for (int row = 0; row < rows; row++) {
            int k = k(full.row(row).length, fraction);
            kMax = Math.max(kMax, k);
            int[] ref = RankStats.topK(full.row(row), k);
            int[][] tops = new int[r][];
            for (int i = 0; i < r; i++) tops[i] = RankStats.topK(resampled.get(i).row(row), k);
            double p = 0;
            for (int i = 0; i < r; i++) for (int j = i + 1; j < r; j++) p += RankStats.overlap(tops[i], tops[j]);
            pair += r > 1 ? p / ((double) r * (r - 1) / 2) : 1;
            double v = 0;
            for (int i = 0; i < r; i++) v += RankStats.overlap(tops[i], ref);
            vs += v / r;
        }
        return new Stability(kMax, pair / rows, vs / rows, r);
    }
}
