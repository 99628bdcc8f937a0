package org.prune4j.tensor.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;

/**
 * {@link NMPanel} as the one compressed copy a layer keeps: its row-range and panel decodes (what packing the prefill
 * GEMM's B panels reads) give back the dense weight exactly, and the GEMM and GEMV that read the panel match the oracle
 * (decompress the NMWeight, scalar linear) within the dot-product bound, over the patterns the panel holds, row
 * counts that are not a multiple of the panel, widths with a short last window or a dense tail, F32 and BF16.
 */
class NMPanelTest {
    private static final NM[] PANEL_PATTERNS = {new NM(2, 4), new NM(4, 8), new NM(1, 2), new NM(3, 4), new NM(6, 8), new NM(8, 16), new NM(12, 16)};

    @Test
    void rowRangeDecodeGivesBackTheDenseWeight() {
        int[] tried = new int[1];
        qt().withExamples(200).withFixedSeed(23)
                .forAll(integers().between(0, PANEL_PATTERNS.length - 1), integers().between(1, 40), integers().between(0, 12), integers().between(0, 10_000))
                .checkAssert((p, rows, groups, seed) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    NM nm = PANEL_PATTERNS[p];
                    int cols = groups * nm.m() + (r.nextBoolean() ? 0 : r.nextInt(nm.m()));
                    DType storage = r.nextBoolean() ? DType.BF16 : DType.F32;
                    Tensor dense = NMMatmulTest.nmWeight(r, nm, rows, cols, storage);
                    NMWeight w = NMWeight.compress(dense, nm, storage, "w");
                    if (!NMPanel.supports(w)) return;
                    tried[0]++;
                    NMPanel panel = NMPanel.of(w);
                    assertArrayEquals(dense.toFloatArray(), panel.decompress().toFloatArray(), nm + " " + storage + " [" + rows + ", " + cols + "]");
                    int row = r.nextInt(rows), off = r.nextInt(4);
                    for (int c0 = 0; c0 <= cols; c0++) {
                        int len = r.nextInt(cols - c0 + 1);
                        float[] got = new float[off + len + 2];
                        java.util.Arrays.fill(got, Float.NaN);
                        panel.decodeRow(row, c0, len, got, off);
                        for (int i = 0; i < len; i++)
                            assertEquals(dense.get(row, c0 + i), got[off + i], 0f, nm + " row " + row + " input " + (c0 + i) + " decoded from " + c0);
                        assertTrue(Float.isNaN(got[off + len]) && (off == 0 || Float.isNaN(got[off - 1])), "nothing outside the range is written");
                    }
                    // a whole panel at once, input-major with a leading dimension past the L lanes (the packed B layout)
                    int L = Operand.L, ld = L + r.nextInt(3) * L, p0 = r.nextInt((rows + L - 1) / L);
                    int c0 = r.nextInt(cols + 1), len = r.nextInt(cols - c0 + 1);
                    float[] got = new float[off + len * ld + L];
                    java.util.Arrays.fill(got, Float.NaN);
                    panel.decodePanel(p0, c0, len, got, off, ld);
                    for (int i = 0; i < len; i++)
                        for (int lane = 0; lane < ld; lane++) {
                            float g = got[off + i * ld + lane];
                            int row2 = p0 * L + lane;
                            if (lane < L && row2 < rows) assertEquals(dense.get(row2, c0 + i), g, 0f, nm + " panel " + p0 + " lane " + lane + " input " + (c0 + i));
                            else assertTrue(Float.isNaN(g), "lane " + lane + " (row " + row2 + " of " + rows + ") is not written");
                        }
                });
        assertTrue(tried[0] > 100, "the panel held " + tried[0] + " examples");
    }

    @Test
    void gemmAndGemvFromThePanelMatchTheOracle() {
        int[] tried = new int[1];
        qt().withExamples(150).withFixedSeed(31)
                .forAll(integers().between(0, PANEL_PATTERNS.length - 1), integers().between(0, 70), integers().between(0, 40), integers().between(0, 10_000))
                .checkAssert((p, rows, groups, seed) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    NM nm = PANEL_PATTERNS[p];
                    int cols = groups * nm.m() + (r.nextBoolean() ? 0 : r.nextInt(nm.m()));
                    DType storage = r.nextInt(3) == 0 ? DType.BF16 : DType.F32;
                    Tensor dense = NMMatmulTest.nmWeight(r, nm, rows, cols, storage);
                    NMWeight w = NMWeight.compress(dense, nm, storage, "w");
                    if (!NMPanel.supports(w)) return;
                    tried[0]++;
                    NMPanel panel = NMPanel.of(w);
                    int tokens = r.nextBoolean() ? r.nextInt(2, 20) : 1;
                    Tensor x = RandomViews.random(r, r.nextBoolean() ? new int[] {tokens, cols} : new int[] {1, tokens, cols});
                    Tensor bias = r.nextBoolean() ? RandomViews.random(r, rows) : null;
                    int threads = r.nextInt(1, 4);
                    Tensor oracle = ScalarKernels.INSTANCE.linearNM(x, w, bias);
                    Tensor scale = GemmTestSupport.absProduct(x, dense.t());
                    if (bias != null) scale = ScalarKernels.INSTANCE.add(scale, GemmTestSupport.abs(bias));
                    String what = nm + " " + storage + " [" + rows + ", " + cols + "] x " + java.util.Arrays.toString(x.shape()) + " threads " + threads;
                    assertClose(new VectorKernels(threads).linearNM(x, panel, bias), oracle, scale, cols, 1, "panel " + what);
                    assertArrayEquals(oracle.toFloatArray(), ScalarKernels.INSTANCE.linearNM(x, panel, bias).toFloatArray(), "default (decompress) " + what);
                });
        assertTrue(tried[0] > 60, "the panel held " + tried[0] + " examples");
    }

    @Test
    void largeShapesRunTheThreadedPanelGemm() {
        SplittableRandom r = new SplittableRandom(4);
        for (NM nm : new NM[] {new NM(2, 4), new NM(4, 8)})
            for (DType storage : new DType[] {DType.F32, DType.BF16}) {
                Tensor dense = NMMatmulTest.nmWeight(r, nm, 300, 1032, storage); // 1032: a short last window
                NMWeight w = NMWeight.compress(dense, nm, storage, "w");
                NMPanel panel = NMPanel.of(w);
                for (Tensor x : new Tensor[] {Tensor.randn(1, 1f, 1, 1032), Tensor.randn(2, 1f, 37, 1032)})
                    assertClose(new VectorKernels(2).linearNM(x, panel, null), ScalarKernels.INSTANCE.linearNM(x, w, null),
                            GemmTestSupport.absProduct(x, dense.t()), 1032, 1, nm + " " + storage + " " + java.util.Arrays.toString(x.shape()));
            }
    }

    /** 2:4 F32 on a width of whole windows and whole panels: values 0.5 of dense, nibbles 1/16 (the goal of one copy). */
    @Test
    void aPanelHoldsHalfTheValuesAndANibbleEach() {
        int rows = 4 * Operand.L, cols = 256;
        NMWeight w = NMWeight.compress(NMMatmulTest.nmWeight(new SplittableRandom(8), new NM(2, 4), rows, cols, DType.F32), new NM(2, 4), DType.F32, "w");
        NMPanel panel = NMPanel.of(w);
        assertEquals(0.5 + 1.0 / 16, panel.bytes() / (rows * cols * 4.0), 0);
        assertEquals(NMGemv.usesPanel(w) ? panel.bytes() : w.bytes(), NMGemv.decodeBytes(w), "what the decode kernel reads is the copy kept");
        NMWeight f16 = NMWeight.compress(Tensor.zeros(8, 16), new NM(2, 4), DType.F16, "f16");
        assertThrows(IllegalArgumentException.class, () -> NMPanel.of(f16), "F16 values have no panel");
    }
}
