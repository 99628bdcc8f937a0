package org.prune4j.pruning.granularity;

import org.prune4j.tensor.NM;
import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.prune4j.pruning.Fixtures;

class GranularityTest {

    /** Oracle: the k lowest by (score, index), from a full sort. */
    static boolean[] lowestBySort(float[] s, int off, int len, int k) {
        Integer[] idx = IntStream.range(0, len).boxed().toArray(Integer[]::new);
        Arrays.sort(idx, Comparator.<Integer>comparingDouble(i -> s[off + i]).thenComparingInt(i -> i));
        boolean[] out = new boolean[len];
        for (int i = 0; i < k; i++) out[idx[i]] = true;
        return out;
    }

    @Test
    void radixSelectEqualsSortingWithTiesTowardLowerIndex() {
        qt().withExamples(300).forAll(integers().between(1, 3000), integers().between(0, 100_000), integers().between(0, 3), integers().between(0, 10_000))
                .checkAssert((len, kSeed, kind, seed) -> {
                    float[] s = switch (kind) {
                        case 0 -> Fixtures.gaussian(seed, 1, len, 1);             // distinct, signed
                        case 1 -> Fixtures.tied(seed, 1, len, 3);                 // heavy ties
                        case 2 -> abs(Fixtures.gaussian(seed, 1, len, 1e-30));    // subnormals and tiny values
                        default -> withInfinities(Fixtures.gaussian(seed, 1, len, 1e3), seed);
                    };
                    int k = kSeed % (len + 1);
                    Mask m = new Mask(1, len);
                    Select.markLowest(s, 0, len, k, m, 0);
                    boolean[] want = lowestBySort(s, 0, len, k);
                    for (int i = 0; i < len; i++) assertEquals(want[i], m.get(i), "index " + i + " of " + len + ", k=" + k);
                });
    }

    static float[] abs(float[] a) {
        for (int i = 0; i < a.length; i++) a[i] = Math.abs(a[i]);
        return a;
    }

    static float[] withInfinities(float[] a, long seed) {
        a[(int) (seed % a.length)] = Float.POSITIVE_INFINITY;
        a[(int) ((seed * 7) % a.length)] = Float.NEGATIVE_INFINITY;
        return a;
    }

    @Test
    void negativeZeroRanksAsZeroAndNaNIsRefused() {
        float[] s = {0f, -0f, 0f, -0f};
        Mask m = new Mask(1, 4);
        Select.markLowest(s, 0, 4, 2, m, 0);
        assertTrue(m.get(0) && m.get(1) && !m.get(2) && !m.get(3));
        assertThrows(IllegalArgumentException.class, () -> Select.markLowest(new float[] {1, Float.NaN, 2}, 0, 3, 1, new Mask(1, 3), 0));
    }

    @Test
    void everyNMGroupKeepsAtMostMMinusN() {
        qt().withExamples(200).forAll(integers().between(1, 12), integers().between(1, 8), integers().between(0, 2), integers().between(0, 10_000))
                .checkAssert((rows, groups, pattern, seed) -> {
                    int n = new int[] {2, 4, 1}[pattern], m = new int[] {4, 8, 3}[pattern];
                    int cols = groups * m;
                    float[] w = Fixtures.gaussian(seed, rows, cols, 1);
                    float[] s = pattern == 2 ? Fixtures.tied(seed, rows, cols, 2) : abs(w.clone());
                    Mask mask = new NMSelect(new NM(n, m), false).select(s, rows, cols);
                    mask.apply(w);
                    for (int r = 0; r < rows; r++)
                        for (int g = 0; g < cols; g += m) {
                            int nonZeros = 0, pruned = 0;
                            for (int c = g; c < g + m; c++) {
                                if (w[r * cols + c] != 0) nonZeros++;
                                if (mask.get(r, c)) pruned++;
                            }
                            assertEquals(n, pruned);
                            assertTrue(nonZeros <= m - n, "group " + g + " of row " + r + " keeps " + nonZeros);
                            boolean[] want = lowestBySort(s, r * cols + g, m, n); // ties toward the lower index
                            for (int c = 0; c < m; c++) assertEquals(want[c], mask.get(r, g + c));
                        }
                });
    }

    @Test
    void nmRefusesWidthsMDoesNotDivide() {
        assertThrows(IllegalArgumentException.class, () -> new NMSelect(new NM(2, 4), false).select(new float[6], 1, 6));
        assertThrows(IllegalArgumentException.class, () -> new NM(4, 4));
        assertThrows(IllegalArgumentException.class, () -> new NM(5, 4));
    }

    @Test
    void perRowPrunesFloorOfRatioTimesColsInEveryRow() {
        qt().withExamples(200).forAll(integers().between(1, 20), integers().between(1, 300), doubles().between(0, 0.99), integers().between(0, 10_000))
                .checkAssert((rows, cols, ratio, seed) -> {
                    float[] s = abs(Fixtures.gaussian(seed, rows, cols, 1));
                    Mask m = new PerRow(ratio).select(s, rows, cols);
                    for (int r = 0; r < rows; r++) {
                        assertEquals((int) (ratio * cols), m.countRow(r));
                        assertTrue(Math.abs(m.countRow(r) - ratio * cols) < 1, "within one weight per row");
                    }
                });
    }

    @Test
    void perMatrixPrunesFloorOfRatioTimesSizeAndThresholdsGlobally() {
        qt().withExamples(200).forAll(integers().between(1, 40), integers().between(1, 200), doubles().between(0, 0.99), integers().between(0, 10_000))
                .checkAssert((rows, cols, ratio, seed) -> {
                    float[] s = abs(Fixtures.gaussian(seed, rows, cols, 1));
                    Mask m = new PerMatrix(ratio).select(s, rows, cols);
                    long n = (long) rows * cols;
                    assertEquals((long) (ratio * n), m.count());
                    assertTrue(Math.abs(m.count() - ratio * n) < 1, "within one weight per matrix");
                    // global threshold: every pruned score <= every kept score
                    float maxPruned = Float.NEGATIVE_INFINITY, minKept = Float.POSITIVE_INFINITY;
                    for (int i = 0; i < n; i++) {
                        if (m.get(i)) maxPruned = Math.max(maxPruned, s[i]);
                        else minKept = Math.min(minKept, s[i]);
                    }
                    assertTrue(maxPruned <= minKept);
                });
    }

    @Test
    void ratioZeroSelectsNothing() {
        float[] s = abs(Fixtures.gaussian(1, 5, 9, 1));
        assertEquals(0, new PerRow(0).select(s, 5, 9).count());
        assertEquals(0, new PerMatrix(0).select(s, 5, 9).count());
    }

    @Test
    void denseTailPrunesEveryFullGroupAndLeavesTheShortOneWhole() {
        qt().withExamples(100).forAll(integers().between(1, 6), integers().between(0, 5), integers().between(1, 7), integers().between(0, 10_000))
                .checkAssert((rows, groups, tail, seed) -> {
                    NM nm = new NM(4, 8);
                    int cols = groups * 8 + tail;
                    float[] s = abs(Fixtures.gaussian(seed, rows, cols, 1));
                    Mask mask = new NMSelect(nm, true).select(s, rows, cols);
                    for (int r = 0; r < rows; r++) {
                        assertEquals(groups * 4, mask.countRow(r));
                        for (int c = groups * 8; c < cols; c++) assertTrue(!mask.get(r, c), "tail input " + c + " pruned");
                    }
                    assertEquals((double) groups * 4 / cols, nm.ratio(cols), 0);
                });
    }

    @Test
    void refusalOfAWidthSuggestsAPatternThatFits() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NMSelect(new NM(4, 8), false).select(new float[172], 1, 172));
        assertTrue(e.getMessage().contains("2:4") && e.getMessage().contains("172") && e.getMessage().contains("--nm-tail dense"), e.getMessage());
        assertEquals(new NM(2, 4), new NM(4, 8).sameRatioFitting(172));
        assertEquals(null, new NM(2, 4).sameRatioFitting(7), "no pattern of ratio 1/2 divides 7");
        assertEquals(new NM(1, 3), new NM(2, 6).sameRatioFitting(9));
    }
}
