package org.prune4j.pruning.knockoff;

import java.util.Arrays;

/**
 * The knockoff+ filter (Barber & Candès 2015): given antisymmetric statistics W_j (swapping feature j with its
 * knockoff flips W_j's sign; large positive means the real feature beats its knockoff), the threshold
 * τ = min{t > 0 : (1 + #{j : W_j ≤ −t}) / max(1, #{j : W_j ≥ t}) ≤ q} selects {j : W_j ≥ τ} with FDR ≤ q.
 * The "+1" is what makes the guarantee exact in finite samples (plain knockoffs control a modified FDR only).
 */
public final class KnockoffFilter {
    private KnockoffFilter() {}

    /** The knockoff+ threshold at level q ∈ (0, 1); +∞ when no t qualifies (nothing is selected). */
    public static double threshold(double[] w, double q) {
        if (!(q > 0 && q < 1)) throw new IllegalArgumentException("the target FDR q must lie in (0, 1), got " + q);
        // candidate t: the distinct |W_j| > 0; the ratio only changes there, and the minimum is attained at one of them
        double[] t = Arrays.stream(w).map(Math::abs).filter(x -> x > 0).sorted().distinct().toArray();
        for (double ti : t) {
            int neg = 0, pos = 0;
            for (double wj : w) {
                if (wj <= -ti) neg++;
                if (wj >= ti) pos++;
            }
            if ((1.0 + neg) / Math.max(1, pos) <= q) return ti;
        }
        return Double.POSITIVE_INFINITY;
    }

    /** The selected set {j : W_j ≥ τ} at level q. */
    public static boolean[] select(double[] w, double q) {
        double tau = threshold(w, q);
        boolean[] s = new boolean[w.length];
        for (int j = 0; j < w.length; j++) s[j] = w[j] >= tau;
        return s;
    }
}
