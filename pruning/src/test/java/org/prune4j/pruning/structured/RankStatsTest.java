package org.prune4j.pruning.structured;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Spearman's ρ, Kendall's τ-b, top-k and the bootstrap. The algebraic properties hold exactly; the only rounding is in
 * the final division of double sums of at most n² ≤ 10⁶ integers (exact in double), so 1e-12 is a bound, not a fit.
 */
class RankStatsTest {
    static final double EPS = 1e-12;

    /** n values drawn from {@code levels} distinct ones (levels = 0: continuous), so ties are common. */
    static double[] sample(long seed, int n, int levels) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = levels == 0 ? r.nextGaussian() : r.nextInt(levels);
        return x;
    }

    /** τ-b by definition: every pair, concordant minus discordant, over the tie-corrected pair counts. */
    static double kendallBrute(double[] x, double[] y) {
        long c = 0, d = 0, tx = 0, ty = 0, n0 = (long) x.length * (x.length - 1) / 2;
        for (int i = 0; i < x.length; i++)
            for (int j = i + 1; j < x.length; j++) {
                double a = Math.signum(x[i] - x[j]), b = Math.signum(y[i] - y[j]);
                if (a == 0) tx++;
                if (b == 0) ty++;
                if (a * b > 0) c++;
                if (a * b < 0) d++;
            }
        return (c - d) / Math.sqrt((double) (n0 - tx) * (n0 - ty));
    }

    @Test
    void knownSmallExamples() {
        // x distinct, y = 5 6 7 8 7: 8 concordant, 1 discordant, 1 pair tied in y of 10 -> 7 / √(10·9)
        double[] x = {1, 2, 3, 4, 5}, y = {5, 6, 7, 8, 7};
        assertEquals(7 / Math.sqrt(90), RankStats.kendallTauB(x, y), EPS);
        // mid-ranks of y: 1 2 3.5 5 3.5; Pearson with 1..5 = 8 / √(10 · 9.5)  (scipy.stats.spearmanr: 0.8207826816681233)
        assertEquals(8 / Math.sqrt(10 * 9.5), RankStats.spearman(x, y), EPS);
        assertArrayEquals(new double[] {1, 2, 3.5, 5, 3.5}, RankStats.ranks(y), EPS);
        // ties on both sides (scipy.stats.kendalltau: 0.5, spearmanr: 0.58333)
        assertEquals(0.5, RankStats.kendallTauB(new double[] {1, 1, 2, 2, 3}, new double[] {1, 2, 1, 3, 3}), EPS);
        assertEquals(0.5833333333333334, RankStats.spearman(new double[] {1, 1, 2, 2, 3}, new double[] {1, 2, 1, 3, 3}), EPS);
        assertTrue(Double.isNaN(RankStats.spearman(new double[] {1, 1, 1}, new double[] {1, 2, 3})), "a constant has no ranking");
        assertTrue(Double.isNaN(RankStats.kendallTauB(new double[] {1, 2, 3}, new double[] {4, 4, 4})));
        assertEquals(1, RankStats.kendallTauB(new double[] {-0.0, 1}, new double[] {0.0, 1}), EPS);
        assertThrows(IllegalArgumentException.class, () -> RankStats.spearman(new double[] {1, Double.NaN}, new double[] {1, 2}));
    }

    @Test
    void knightsAlgorithmEqualsThePairwiseDefinition() {
        qt().withExamples(300).forAll(integers().between(2, 200), integers().between(0, 4), longs().all())
                .checkAssert((n, levels, seed) -> {
                    double[] x = sample(seed, n, levels), y = sample(seed * 31 + 7, n, levels);
                    double want = kendallBrute(x, y), got = RankStats.kendallTauB(x, y);
                    if (Double.isNaN(want)) assertTrue(Double.isNaN(got));
                    else assertEquals(want, got, EPS, "n=" + n + " levels=" + levels);
                });
    }

    @Test
    void aRankingAgreesWithItselfAndItsReverseAndMonotoneTransforms() {
        qt().withExamples(200).forAll(integers().between(2, 300), integers().between(0, 4), longs().all())
                .checkAssert((n, levels, seed) -> {
                    double[] x = sample(seed, n, levels);
                    double[] neg = new double[n], mono = new double[n];
                    for (int i = 0; i < n; i++) {
                        neg[i] = -x[i];
                        mono[i] = Math.exp(x[i]) + x[i] * x[i] * x[i];        // strictly increasing
                    }
                    if (Double.isNaN(RankStats.spearman(x, x))) return;        // a constant sample: nothing to rank
                    assertEquals(1, RankStats.spearman(x, x), EPS);
                    assertEquals(1, RankStats.kendallTauB(x, x), EPS);
                    assertEquals(-1, RankStats.spearman(x, neg), EPS);
                    assertEquals(-1, RankStats.kendallTauB(x, neg), EPS);
                    double[] y = sample(seed + 1, n, levels);
                    if (Double.isNaN(RankStats.spearman(x, y))) return;
                    assertEquals(RankStats.spearman(x, y), RankStats.spearman(mono, y), EPS);
                    assertEquals(RankStats.kendallTauB(x, y), RankStats.kendallTauB(mono, y), EPS);
                    assertEquals(RankStats.spearman(x, y), RankStats.spearman(y, x), EPS);
                    assertEquals(RankStats.kendallTauB(x, y), RankStats.kendallTauB(y, x), EPS);
                });
    }

    @Test
    void spearmanWithoutTiesIsTheSquaredRankDifferenceFormula() {
        qt().withExamples(100).forAll(integers().between(2, 300), longs().all()).checkAssert((n, seed) -> {
            double[] x = sample(seed, n, 0), y = sample(~seed, n, 0);
            double[] rx = RankStats.ranks(x), ry = RankStats.ranks(y);
            double d2 = 0;
            for (int i = 0; i < n; i++) d2 += (rx[i] - ry[i]) * (rx[i] - ry[i]);
            assertEquals(1 - 6 * d2 / ((double) n * ((double) n * n - 1)), RankStats.spearman(x, y), 1e-10);
        });
    }

    @Test
    void topKAndOverlap() {
        assertArrayEquals(new int[] {1, 3}, RankStats.topK(new double[] {0, 5, 1, 5, 5}, 2), "ties toward the lower index");
        assertEquals(0.5, RankStats.overlap(new int[] {1, 3}, new int[] {3, 4}), EPS);
        assertEquals(1, RankStats.overlap(new int[0], new int[0]));
        assertEquals(3, Bootstrap.k(5, 0.5));
        assertEquals(1, Bootstrap.k(8, 0.01));
        assertEquals(4, Bootstrap.k(8, 0.5));
    }

    @Test
    void identicalResamplesAreFullyStableAndResamplingIsSeeded() {
        UnitScores s = new UnitScores(UnitKind.HEAD, "x", new double[][] {{3, 1, 2, 0}, {0, 1, 2, 3}});
        UnitScores rev = new UnitScores(UnitKind.HEAD, "x", new double[][] {{0, 2, 1, 3}, {3, 2, 1, 0}});
        Bootstrap.Stability same = Bootstrap.topK(s, List.of(s, s, s), 0.5);
        assertEquals(1, same.pairwise(), EPS);
        assertEquals(1, same.vsFull(), EPS);
        Bootstrap.Stability flip = Bootstrap.topK(s, List.of(s, rev), 0.5);
        assertEquals(0, flip.pairwise(), EPS, "the top half and the bottom half share nothing");
        assertEquals(0.5, flip.vsFull(), EPS);
        assertArrayEquals(Bootstrap.resamples(10, 3, 5)[2], Bootstrap.resamples(10, 3, 5)[2]);
        int[][] r = Bootstrap.resamples(50, 20, 1);
        boolean repeats = false;
        for (int[] row : r) {
            java.util.BitSet b = new java.util.BitSet();
            for (int i : row) {
                assertTrue(i >= 0 && i < 50);
                if (b.get(i)) repeats = true;
                b.set(i);
            }
        }
        assertTrue(repeats, "drawing with replacement repeats windows");
    }
}
