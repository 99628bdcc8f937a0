package org.prune4j.pruning.granularity;

import java.util.Arrays;

/**
 * The one selection primitive every granularity uses: mark the k lowest scores of a run, ties broken toward the
 * lower index, in O(n) time and O(1) extra memory (radix select over the float bits, three passes of 11/11/10
 * bits), so even a whole 45M-weight matrix is thresholded without sorting or copying it.
 */
public final class Select {
    private Select() {}

    /**
     * The float's bits remapped so that unsigned int order equals float order (-0 counts as +0).
     * NaN has no place in a ranking and is refused.
     */
    public static int key(float f) {
        if (f != f) throw new IllegalArgumentException("score is NaN");
        int b = Float.floatToRawIntBits(f + 0.0f);
        return b ^ ((b >> 31) | 0x80000000);
    }

    /**
     * Marks in {@code mask} (at flat positions {@code maskBase + i}) the {@code k} lowest of
     * {@code s[off .. off+len)}; among equal scores the lower index is marked first.
     */
    public static void markLowest(float[] s, int off, int len, int k, Mask mask, long maskBase) {
        if (k <= 0) return;
        if (k >= len) {
            for (int i = 0; i < len; i++) mask.set(maskBase + i);
            return;
        }
        if (len <= 64) {
            markLowestSmall(s, off, len, k, mask, maskBase);
            return;
        }
        int[] counts = new int[2048];
        int prefix = 0, prefixMask = 0;
        int rank = k - 1; // rank (0-based) of the threshold value among the entries still matching the prefix
        int less = 0; // entries known to be strictly below the threshold
        final int[] shifts = {21, 10, 0};
        final int[] widths = {11, 11, 10};
        for (int p = 0; p < 3; p++) {
            int shift = shifts[p], binMask = (1 << widths[p]) - 1;
            Arrays.fill(counts, 0);
            for (int i = 0; i < len; i++) {
                int u = key(s[off + i]);
                if ((u & prefixMask) == prefix) counts[(u >>> shift) & binMask]++;
            }
            int b = 0, below = 0;
            while (below + counts[b] <= rank) below += counts[b++];
            rank -= below;
            less += below;
            prefix |= b << shift;
            prefixMask |= binMask << shift;
        }
        int takeEqual = k - less; // ties at the threshold: the lowest indices go first
        for (int i = 0; i < len; i++) {
            int u = key(s[off + i]);
            if (Integer.compareUnsigned(u, prefix) < 0) mask.set(maskBase + i);
            else if (u == prefix && takeEqual > 0) {
                mask.set(maskBase + i);
                takeEqual--;
            }
        }
    }

    /** Short runs (N:M groups, tiny rows): repeated minimum scans; strict comparison keeps the lower index on ties. */
    static void markLowestSmall(float[] s, int off, int len, int k, Mask mask, long maskBase) {
        long taken = 0; // bit i set once entry i is chosen (len <= 64)
        for (int t = 0; t < k; t++) {
            int best = -1, bestKey = 0;
            for (int i = 0; i < len; i++) {
                if ((taken & (1L << i)) != 0) continue;
                int u = key(s[off + i]);
                if (best < 0 || Integer.compareUnsigned(u, bestKey) < 0) {
                    best = i;
                    bestKey = u;
                }
            }
            taken |= 1L << best;
            mask.set(maskBase + best);
        }
    }
}
