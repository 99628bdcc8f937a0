package org.prune4j.io.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Cuts a token stream into fixed-length windows for evaluation (first N) or calibration (N random, seeded). */
public final class Windows {
    private Windows() {}

    /** The first {@code n} non-overlapping windows of {@code len} tokens ({@code n ≤ 0}: as many as fit). */
    public static int[][] first(int[] tokens, int n, int len) {
        return first(tokens, n, len, "the token stream");
    }

    /** As {@link #first(int[], int, int)}; errors name {@code source} (usually the text file). */
    public static int[][] first(int[] tokens, int n, int len, String source) {
        if (len <= 0) throw new IllegalArgumentException("window length must be positive, got " + len);
        int fit = tokens.length / len;
        if (fit == 0) {
            throw new IllegalArgumentException(source + ": has " + tokens.length + " tokens, too few for one window of " + len + " tokens");
        }
        if (n > fit) {
            throw new IllegalArgumentException(source + ": has " + tokens.length + " tokens, too few for " + n + " windows of "
                    + len + " (needs " + (long) n * len + "; " + fit + " fit)");
        }
        int count = n <= 0 ? fit : n;
        int[][] out = new int[count][];
        for (int w = 0; w < count; w++) out[w] = Arrays.copyOfRange(tokens, w * len, (w + 1) * len);
        return out;
    }

    /**
     * {@code n} windows of {@code len} tokens at start positions drawn uniformly from [0, tokens − len] with
     * {@link SplittableRandom}(seed): the same seed gives the same windows on every machine. Windows may overlap.
     */
    public static int[][] random(int[] tokens, int n, int len, long seed) {
        return random(tokens, n, len, seed, "the token stream");
    }

    /** As {@link #random(int[], int, int, long)}; errors name {@code source}. */
    public static int[][] random(int[] tokens, int n, int len, long seed, String source) {
        if (len <= 0) throw new IllegalArgumentException("window length must be positive, got " + len);
        if (n <= 0) throw new IllegalArgumentException("number of random windows must be positive, got " + n);
        if (tokens.length < len) {
            throw new IllegalArgumentException(source + ": has " + tokens.length + " tokens, too few for one window of " + len + " tokens");
        }
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] out = new int[n][];
        int starts = tokens.length - len + 1;
        for (int w = 0; w < n; w++) {
            int s = rng.nextInt(starts);
            out[w] = Arrays.copyOfRange(tokens, s, s + len);
        }
        return out;
    }
}
