package org.prune4j.pruning.structured;

import java.util.Arrays;
import java.util.Comparator;

/** Keeping the k most important units: by score, descending; equal scores keep the lower index. */
final class Rank {
    private Rank() {}

    /** Indices into {@code s} of its k largest entries, ascending. */
    static int[] top(double[] s, int k) {
        Integer[] order = byImportance(s);
        int[] keep = new int[k];
        for (int i = 0; i < k; i++) keep[i] = order[i];
        Arrays.sort(keep);
        return keep;
    }

    /** Every index, most important first (ties: lower index first). */
    static Integer[] byImportance(double[] s) {
        Integer[] order = new Integer[s.length];
        for (int i = 0; i < s.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -s[i]).thenComparingInt(i -> i));
        return order;
    }

    /** The subset {@code of} of s, in order. */
    static double[] pick(double[] s, int[] of) {
        double[] r = new double[of.length];
        for (int i = 0; i < of.length; i++) r[i] = s[of[i]];
        return r;
    }
}
