package org.prune4j.tensor.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.prune4j.tensor.gemm.GemmTestSupport.assertClose;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.NM;
import org.prune4j.tensor.NMWeight;
import org.prune4j.tensor.RandomViews;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.ShapeException;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;

/**
 * The N:M kernels (decode GEMV with vector expands, prefill GEMM decoding into packed panels) against the oracle,
 * {@code Kernels.linearNM}'s default: decompress, then the scalar linear. Patterns include M that divide the vector
 * length and M that do not (3, 5, 6), M larger than it (32, 64), widths with a dense tail, and groups holding fewer
 * non-zeros than the pattern allows; inputs are random views (strided, transposed, half-precision storage).
 */
class NMMatmulTest {
    private static final NM[] PATTERNS = {new NM(2, 4), new NM(4, 8), new NM(1, 4), new NM(3, 4), new NM(2, 8), new NM(1, 2),
            new NM(8, 16), new NM(2, 6), new NM(3, 5), new NM(1, 3), new NM(16, 32), new NM(40, 64)};
    private static final DType[] STORAGE = {DType.F32, DType.BF16, DType.F16};

    /** A [rows, cols] weight in which every full group of M has at least N zeros (sometimes more); the tail is dense. */
    static Tensor nmWeight(SplittableRandom r, NM nm, int rows, int cols, DType roundTo) {
        float[] w = Tensor.randn(r.nextLong(), 1f, rows, cols).toFloatArray();
        int m = nm.m();
        for (int row = 0; row < rows; row++)
            for (int g = 0; g + m <= cols; g += m) {
                int zeros = nm.n() + (r.nextInt(4) == 0 ? r.nextInt(m - nm.n() + 1) : 0);
                int[] perm = new int[m];
                for (int i = 0; i < m; i++) perm[i] = i;
                for (int i = m - 1; i > 0; i--) {
                    int j = r.nextInt(i + 1), t = perm[i];
                    perm[i] = perm[j];
                    perm[j] = t;
                }
                for (int i = 0; i < zeros; i++) w[row * cols + g + perm[i]] = 0f;
            }
        Tensor t = Tensor.of(w, rows, cols);
        return roundTo == DType.F32 ? t : GemmTestSupport.roundedTo(t, roundTo);
    }

    @Test
    void randomShapesPatternsAndLayoutsMatchTheOracle() {
        qt().withExamples(150).withFixedSeed(12)
                .forAll(integers().between(0, PATTERNS.length - 1), integers().between(0, 70), integers().between(0, 9), integers().between(0, 10_000))
                .checkAssert((p, rows, groups, seed) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    NM nm = PATTERNS[p];
                    int cols = groups * nm.m() + (r.nextBoolean() ? 0 : r.nextInt(nm.m()));
                    DType storage = STORAGE[r.nextInt(STORAGE.length)];
                    Tensor dense = nmWeight(r, nm, rows, cols, storage);
                    NMWeight w = NMWeight.compress(dense, nm, storage, "w");
                    int tokens = r.nextInt(3) == 0 ? r.nextInt(2, 20) : 1;        // GEMM or GEMV
                    Tensor x = RandomViews.random(r, r.nextBoolean() ? new int[] {tokens, cols} : new int[] {1, tokens, cols});
                    Tensor bias = r.nextBoolean() ? RandomViews.random(r, rows) : null;
                    int threads = r.nextInt(1, 4);
                    String what = nm + " " + storage + " [" + rows + ", " + cols + "] x " + java.util.Arrays.toString(x.shape()) + " threads " + threads;
                    check(x, w, dense, bias, threads, what);
                });
    }

    @Test
    void largeShapesRunTheThreadedKernels() {
        SplittableRandom r = new SplittableRandom(3);
        for (NM nm : new NM[] {new NM(2, 4), new NM(4, 8)})
            for (DType storage : STORAGE) {
                Tensor dense = nmWeight(r, nm, 300, 1032, storage);  // 1032 = 64·16 + 8: a vector tail past the last word
                NMWeight w = NMWeight.compress(dense, nm, storage, "w");
                check(Tensor.randn(1, 1f, 1, 1032), w, dense, null, 2, nm + " " + storage + " GEMV");
                check(Tensor.randn(2, 1f, 37, 1032), w, dense, Tensor.randn(3, 1f, 300), 2, nm + " " + storage + " GEMM");
            }
    }

    /**
     * Both decode kernels, whichever this CPU picks by default: the expand kernel on every pattern, the panel kernel
     * ({@link NMPanel}: rows interleaved per lane, nibble positions) on every pattern it holds, over row counts that
     * are not a multiple of the panel (or of two panels), widths with a short last window, a dense tail, or no full
     * group at all, F32 and BF16 values, offsets into x and y, and several threads.
     */
    @Test
    void bothDecodeKernelsMatchTheOracle() {
        NM[] panelPatterns = {new NM(2, 4), new NM(4, 8), new NM(1, 2), new NM(3, 4), new NM(6, 8), new NM(8, 16), new NM(12, 16)};
        int[] tried = new int[1];
        qt().withExamples(300).withFixedSeed(41)
                .forAll(integers().between(0, PATTERNS.length + panelPatterns.length - 1), integers().between(0, 80), integers().between(0, 40), integers().between(0, 10_000))
                .checkAssert((p, rows, groups, seed) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    NM nm = p < PATTERNS.length ? PATTERNS[p] : panelPatterns[p - PATTERNS.length];
                    int cols = groups * nm.m() + (r.nextBoolean() ? 0 : r.nextInt(nm.m()));
                    DType storage = r.nextInt(4) == 0 ? DType.BF16 : DType.F32;
                    Tensor dense = nmWeight(r, nm, rows, cols, storage);
                    NMWeight w = NMWeight.compress(dense, nm, storage, "w");
                    int xOff = r.nextInt(5), yOff = r.nextInt(5), threads = r.nextInt(1, 4);
                    float[] x = Tensor.randn(r.nextLong(), 1f, xOff + cols).toFloatArray();
                    float[] y0 = Tensor.randn(r.nextLong(), 1f, yOff + rows).toFloatArray();
                    Tensor xt = Tensor.of(java.util.Arrays.copyOfRange(x, xOff, xOff + cols), 1, cols);
                    float[] want = ScalarKernels.INSTANCE.linearNM(xt, w, null).toFloatArray();
                    float[] scale = GemmTestSupport.absProduct(xt, dense.t()).toFloatArray();
                    for (boolean panel : new boolean[] {false, true}) {
                        if (panel && !NMPanel.supports(w)) continue;
                        if (panel) tried[0]++;
                        float[] y = y0.clone();
                        NMGemv.rowsDot(threads, x, xOff, w, y, yOff, panel);
                        for (int i = 0; i < yOff; i++) assertEquals(y0[i], y[i], 0f, "y before the offset is untouched");
                        float[] got = new float[rows];
                        for (int i = 0; i < rows; i++) got[i] = y[yOff + i] - y0[yOff + i];
                        String what = (panel ? "panel " : "expand ") + nm + " " + storage + " [" + rows + ", " + cols + "] threads " + threads;
                        assertClose(Tensor.of(got, 1, rows), Tensor.of(want, 1, rows), Tensor.of(addAbs(scale, y0, yOff), 1, rows), cols + 1, 1, what);
                    }
                });
        assertTrue(tried[0] > 100, "the panel kernel ran on " + tried[0] + " examples");
    }

    /**
     * {@code --sparse-kernels auto}'s rule: what the panel kernel holds counts as faster than dense on every vector
     * width; other patterns only with 16 lanes (AVX-512's one-instruction expand; the emulated expand measured 0.5x
     * dense on AVX2), under the byte limit; F16 values (decoded row by row) never.
     */
    @Test
    void autoOnlyCountsAKernelThatBeatsDenseOnThisVectorWidth() {
        SplittableRandom r = new SplittableRandom(2);
        NMWeight w24 = NMWeight.compress(nmWeight(r, new NM(2, 4), 16, 256, DType.F32), new NM(2, 4), DType.F32, "w");
        NMWeight w816 = NMWeight.compress(nmWeight(r, new NM(8, 16), 16, 256, DType.F32), new NM(8, 16), DType.F32, "w");
        NMWeight f16 = NMWeight.compress(nmWeight(r, new NM(2, 4), 16, 256, DType.F16), new NM(2, 4), DType.F16, "w");
        NMWeight w14 = NMWeight.compress(nmWeight(r, new NM(1, 4), 16, 256, DType.F32), new NM(1, 4), DType.F32, "w");
        assertTrue(NMGemv.beatsDense(w24, 0.8), "2:4 F32 reads " + NMGemv.decodeBytes(w24) + " bytes");
        assertEquals(Operand.L >= 16, NMGemv.beatsDense(w816, 0.8), "8:16 on " + Operand.L + " lanes");
        assertTrue(!NMGemv.beatsDense(f16, 0.8), "F16");
        // NM(1, 4) zeroes 1 of 4 (keeps 3): 3/4 + 1/32 of dense through the expand kernel; the panel cannot hold it
        // (S = 6 slots per window on 8 lanes, 12 on 16), and 8 lanes have no fast expand
        assertTrue(!NMGemv.usesPanel(w14), "3:4 has no panel layout");
        assertEquals(16L * 192 * 4 + 16L * 256 / 8, NMGemv.decodeBytes(w14), "expand bytes: values and a bit per input");
        assertEquals(Operand.L >= 16, NMGemv.beatsDense(w14, 0.8), "3:4 reads 0.78 of dense, on " + Operand.L + " lanes");
        assertTrue(!NMGemv.beatsDense(w14, 0.7), "3:4 reads more than 0.7 of dense");
        assertTrue(NMGemv.usesPanel(w24), "2:4 decodes through the panel on every vector width");
        assertEquals(16L * 128 * 4 + 16L * 128 / 2, NMGemv.decodeBytes(w24), "panel bytes: values and a nibble each");
    }

    /** |x·W| plus |y0|: adding to y0 rounds at y0's scale too. */
    private static float[] addAbs(float[] scale, float[] y0, int yOff) {
        float[] s = scale.clone();
        for (int i = 0; i < s.length; i++) s[i] += Math.abs(y0[yOff + i]);
        return s;
    }

    private static void check(Tensor x, NMWeight w, Tensor dense, Tensor bias, int threads, String what) {
        Tensor fast = new VectorKernels(threads).linearNM(x, w, bias);
        Tensor oracle = ScalarKernels.INSTANCE.linearNM(x, w, bias);
        Tensor scale = GemmTestSupport.absProduct(x, dense.t());
        if (bias != null) scale = ScalarKernels.INSTANCE.add(scale, GemmTestSupport.abs(bias));
        assertClose(fast, oracle, scale, x.size(-1), 1, what);
    }

    @Test
    void compressionRoundTripsAndStoresWhatThePatternSays() {
        SplittableRandom r = new SplittableRandom(5);
        Tensor dense = nmWeight(r, new NM(2, 4), 7, 70, DType.F32); // 17 groups and a dense tail of 2
        NMWeight w = NMWeight.compress(dense, new NM(2, 4), DType.F32, "w");
        assertArrayEquals(dense.toFloatArray(), w.decompress().toFloatArray());
        assertEquals(17 * 2 + 2, w.rowValues());
        assertEquals(7L * (36 * 4 + 2 * 8), w.bytes());
        // 2:4 on a 4096-wide F32 row: 0.5 of the dense bytes for values + 1/32 for the mask
        NMWeight big = NMWeight.compress(nmWeight(r, new NM(2, 4), 2, 4096, DType.F32), new NM(2, 4), DType.F32, "big");
        assertEquals(0.5 + 1.0 / 32, big.bytes() / (2.0 * 4096 * 4), 0);
        NMWeight half = NMWeight.compress(nmWeight(r, new NM(2, 4), 2, 4096, DType.BF16), new NM(2, 4), DType.BF16, "half");
        assertEquals(0.5 + 1.0 / 16, half.bytes() / (2.0 * 4096 * 2), 0);
        for (int c = 0; c <= 70; c++) {
            float[] one = new float[70 - c];
            w.decodeRow(3, c, 70 - c, one, 0);
            for (int i = 0; i < one.length; i++) assertEquals(dense.get(3, c + i), one[i], "row 3 input " + (c + i) + " decoded from " + c);
        }
    }

    @Test
    void aGroupThatBreaksThePatternIsRefusedByName() {
        float[] v = new float[2 * 8];
        java.util.Arrays.fill(v, 1f);
        v[0] = v[1] = v[2] = v[3] = v[8] = v[9] = 0f; // row 1, inputs 4..7 hold four non-zeros
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NMWeight.compress(Tensor.of(v, 2, 8), new NM(2, 4), DType.F32, "model.layers.0.mlp.up_proj.weight"));
        assertTrue(e.getMessage().contains("up_proj") && e.getMessage().contains("row 0, inputs 4..7") && e.getMessage().contains("2:4"), e.getMessage());
        assertThrows(ShapeException.class, () -> NMWeight.compress(Tensor.zeros(2, 2, 4), new NM(2, 4), DType.F32, "w"));
        NMWeight w = NMWeight.compress(Tensor.zeros(3, 8), new NM(2, 4), DType.F32, "w");
        assertThrows(ShapeException.class, () -> new VectorKernels(1).linearNM(Tensor.zeros(1, 7), w, null));
        assertThrows(ShapeException.class, () -> new VectorKernels(1).linearNM(Tensor.zeros(1, 8), w, Tensor.zeros(4)));
    }

    @Test
    void bestPatternFindsTheSparsestFitAndNoneForADenseWeight() {
        SplittableRandom r = new SplittableRandom(9);
        assertEquals(new NM(2, 4), NMWeight.bestPattern(nmWeight(r, new NM(2, 4), 5, 64, DType.F32), DType.F32, 4, 8, 16));
        assertEquals(new NM(4, 8), NMWeight.bestPattern(nmWeight(r, new NM(4, 8), 5, 64, DType.F32), DType.F32, 4, 8, 16));
        assertNull(NMWeight.bestPattern(Tensor.full(1f, 5, 64), DType.F32, 4, 8, 16));
    }
}
