package org.prune4j.pruning.structured;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Rank statistics for comparing criteria on the same units: Spearman's ρ (Pearson's correlation of mid-ranks, so
 * ties are handled), Kendall's τ-b (Knight's O(n log n) algorithm, tie-corrected as scipy's {@code kendalltau}),
 * top-k sets and their overlap. Both correlations are NaN when either input is constant (no ranking to compare).
 */
public final class RankStats {
    private RankStats() {}

    /** Mid-ranks 1..n: tied values share the mean of the ranks they span. */
    public static double[] ranks(double[] x) {
        x = zeroSigned(x);
        int n = x.length;
        Integer[] idx = order(x);
        double[] r = new double[n];
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && x[idx[j + 1]] == x[idx[i]]) j++;
            double mid = (i + j) / 2.0 + 1;                                  // ranks i+1 .. j+1 share their mean
            for (int k = i; k <= j; k++) r[idx[k]] = mid;
            i = j + 1;
        }
        return r;
    }

    /** Spearman's ρ: Pearson's r of the mid-ranks. */
    public static double spearman(double[] x, double[] y) {
        check(x, y);
        return pearson(ranks(x), ranks(y));
    }

    /** Pearson's correlation (double sums, centred). */
    public static double pearson(double[] x, double[] y) {
        check(x, y);
        int n = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        if (sxx == 0 || syy == 0) return Double.NaN;
        return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
    }

    /**
     * Kendall's τ-b = (n_c − n_d) / √((n₀ − n_x)(n₀ − n_y)) with n₀ = n(n−1)/2 and n_x, n_y the pairs tied in x, in y.
     * Knight (1966): sort by (x, y); then n_c − n_d = n₀ − n_x − n_y + n_xy − 2·(swaps of a merge sort on y), n_xy
     * the pairs tied in both.
     */
    public static double kendallTauB(double[] xs, double[] ys0) {
        check(xs, ys0);
        double[] x = zeroSigned(xs), y = zeroSigned(ys0);
        int n = x.length;
        Integer[] idx = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(idx, Comparator.<Integer>comparingDouble(i -> x[i]).thenComparingDouble(i -> y[i]));
        long n0 = (long) n * (n - 1) / 2, tx = 0, txy = 0;
        for (int i = 0; i < n; ) {                                            // ties in x, and in (x, y) within them
            int j = i;
            while (j + 1 < n && x[idx[j + 1]] == x[idx[i]]) j++;
            tx += pairs(j - i + 1);
            for (int a = i; a <= j; ) {
                int b = a;
                while (b + 1 <= j && y[idx[b + 1]] == y[idx[a]]) b++;
                txy += pairs(b - a + 1);
                a = b + 1;
            }
            i = j + 1;
        }
        double[] ys = new double[n];
        for (int i = 0; i < n; i++) ys[i] = y[idx[i]];
        long swaps = mergeSortSwaps(ys, new double[n], 0, n);
        long ty = 0;
        for (int i = 0; i < n; ) {                                            // ys is now sorted: ties in y
            int j = i;
            while (j + 1 < n && ys[j + 1] == ys[i]) j++;
            ty += pairs(j - i + 1);
            i = j + 1;
        }
        if (n0 - tx == 0 || n0 - ty == 0) return Double.NaN;
        double s = (double) (n0 - tx - ty + txy) - 2.0 * swaps;
        return Math.max(-1, Math.min(1, s / Math.sqrt((double) (n0 - tx)) / Math.sqrt((double) (n0 - ty))));
    }

    private static long pairs(long t) { return t * (t - 1) / 2; }

    /** Sorts a[lo, hi) ascending, returning the number of strictly inverted pairs (equal values are not inversions). */
    private static long mergeSortSwaps(double[] a, double[] tmp, int lo, int hi) {
        if (hi - lo < 2) return 0;
        int mid = (lo + hi) >>> 1;
        long s = mergeSortSwaps(a, tmp, lo, mid) + mergeSortSwaps(a, tmp, mid, hi);
        int i = lo, j = mid, k = lo;
        while (i < mid || j < hi) {
            if (j >= hi || (i < mid && a[i] <= a[j])) tmp[k++] = a[i++];
            else {
                s += mid - i;                                                 // a[j] jumps over every remaining left element
                tmp[k++] = a[j++];
            }
        }
        System.arraycopy(tmp, lo, a, lo, hi - lo);
        return s;
    }

    /** The indices of the k largest values, ties toward the lower index, ascending. */
    public static int[] topK(double[] x, int k) {
        if (k < 0 || k > x.length) throw new IllegalArgumentException("top-k needs 0 <= k <= " + x.length + ", got " + k);
        Integer[] idx = IntStream.range(0, x.length).boxed().toArray(Integer[]::new);
        Arrays.sort(idx, Comparator.<Integer>comparingDouble(i -> -x[i]).thenComparingInt(i -> i));
        int[] top = new int[k];
        for (int i = 0; i < k; i++) top[i] = idx[i];
        Arrays.sort(top);
        return top;
    }

    /** |a ∩ b| / k for two sets of k distinct indices (1 when k = 0). */
    public static double overlap(int[] a, int[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("top-k sets differ in size: " + a.length + " and " + b.length);
        if (a.length == 0) return 1;
        java.util.BitSet s = new java.util.BitSet();
        for (int i : a) s.set(i);
        int common = 0;
        for (int i : b) if (s.get(i)) common++;
        return (double) common / a.length;
    }

    private static Integer[] order(double[] x) {
        Integer[] idx = IntStream.range(0, x.length).boxed().toArray(Integer[]::new);
        Arrays.sort(idx, Comparator.comparingDouble(i -> x[i]));
        return idx;
    }

    /** A copy with −0 made +0, so that sorting (Double.compare) and tie detection (==) agree. */
    private static double[] zeroSigned(double[] x) {
        double[] c = new double[x.length];
        for (int i = 0; i < x.length; i++) c[i] = x[i] + 0.0;
        return c;
    }

    private static void check(double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("rank statistics need samples of equal size, got " + x.length + " and " + y.length);
        for (int i = 0; i < x.length; i++)
            if (Double.isNaN(x[i]) || Double.isNaN(y[i])) throw new IllegalArgumentException("NaN at index " + i + " of a rank statistic's input");
    }
}
