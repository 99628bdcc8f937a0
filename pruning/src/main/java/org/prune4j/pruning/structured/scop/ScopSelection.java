package org.prune4j.pruning.structured.scop;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.knockoff.KnockoffFilter;
import org.prune4j.pruning.structured.UnitScores;

/**
 * SCOP's FDR mode: in each row (layer) of W, the knockoff+ threshold at level q keeps the units with W_j ≥ τ; the rest
 * are indistinguishable from their knockoffs (noise). A row where nothing passes keeps its highest-W unit, with a
 * warning (a layer is never emptied). Unless {@code global}, every row then keeps the same number of units (the most
 * any row kept, its top units by W), so the pruned model keeps a uniform shape.
 *
 * <p>knockoff+ can only select when at least ⌈1/q⌉ units pass (the ratio is at least 1 / #selected), so a row with
 * fewer units (stories260K's 8 heads per layer at q = 0.1) could never keep anything. When any row is that short, one
 * threshold is computed over the W of all rows together (the FDR guarantee then holds over the pooled units) and
 * applied to every row; {@link Plan#pooled()} says so.
 */
public final class ScopSelection {
    private ScopSelection() {}

    /** Per row: the kept units (ascending), how many the filter called noise, its τ; the shared width when uniform. */
    public record Plan(int[][] kept, int[] noise, double[] tau, int uniformWidth, boolean pooled, List<String> warnings) {
        /** Units kept in row r. */
        public int width(int r) { return kept[r].length; }
    }

    /** Checks q as --fdr takes it. */
    public static double checkQ(double q) {
        if (!(q > 0 && q < 1))
            throw new PruningException("--fdr must lie strictly between 0 and 1 (the knockoff+ target false-discovery rate), got " + q);
        return q;
    }

    public static Plan fdr(UnitScores w, double q, boolean global) {
        checkQ(q);
        int rows = w.rows();
        boolean[][] sel = new boolean[rows][];
        int[] noise = new int[rows];
        double[] tau = new double[rows];
        List<String> warnings = new ArrayList<>();
        int widest = 0, shortest = Integer.MAX_VALUE;
        for (int r = 0; r < rows; r++) shortest = Math.min(shortest, w.row(r).length);
        boolean pooled = rows > 1 && shortest < Math.ceil(1 / q - 1e-9);
        double pooledTau = pooled ? KnockoffFilter.threshold(java.util.Arrays.stream(w.scores()).flatMapToDouble(java.util.Arrays::stream).toArray(), q) : 0;
        if (pooled)
            warnings.add(String.format("a row has %d %s units, fewer than the %d that knockoff+ needs to select anything at --fdr %s: one threshold over all rows",
                    shortest, w.kind().name().toLowerCase(), (int) Math.ceil(1 / q - 1e-9), q));
        for (int r = 0; r < rows; r++) {
            double[] row = w.row(r);
            tau[r] = pooled ? pooledTau : KnockoffFilter.threshold(row, q);
            sel[r] = new boolean[row.length];
            int n = 0;
            for (int j = 0; j < row.length; j++) if (row[j] >= tau[r]) { sel[r][j] = true; n++; }
            noise[r] = row.length - n;
            if (n == 0) {
                sel[r][argmax(row)] = true;
                n = 1;
                warnings.add(String.format("row %d: every one of its %d %s units is indistinguishable from noise at --fdr %s; keeping the one with the largest W",
                        r, row.length, w.kind().name().toLowerCase(), q));
            }
            widest = Math.max(widest, n);
        }
        int[][] kept = new int[rows][];
        for (int r = 0; r < rows; r++) kept[r] = global ? indices(sel[r]) : top(w.row(r), widest);
        return new Plan(kept, noise, tau, global ? -1 : widest, pooled, warnings);
    }

    /** The {@code n} largest entries' indices, ascending (ties toward the lower index). */
    public static int[] top(double[] s, int n) {
        Integer[] o = new Integer[s.length];
        for (int i = 0; i < s.length; i++) o[i] = i;
        Arrays.sort(o, (a, b) -> s[b] != s[a] ? Double.compare(s[b], s[a]) : Integer.compare(a, b));
        int[] k = new int[Math.min(n, s.length)];
        for (int i = 0; i < k.length; i++) k[i] = o[i];
        Arrays.sort(k);
        return k;
    }

    private static int[] indices(boolean[] b) {
        int n = 0;
        for (boolean x : b) if (x) n++;
        int[] k = new int[n];
        for (int i = 0, j = 0; i < b.length; i++) if (b[i]) k[j++] = i;
        return k;
    }

    private static int argmax(double[] a) {
        int m = 0;
        for (int i = 1; i < a.length; i++) if (a[i] > a[m]) m = i;
        return m;
    }
}
