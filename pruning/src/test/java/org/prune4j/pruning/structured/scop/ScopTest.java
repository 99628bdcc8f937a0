package org.prune4j.pruning.structured.scop;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.pruning.structured.ScoringInput;
import org.prune4j.pruning.structured.StructuredCriteria;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;

class ScopTest {
    static final int NULLS = 12;

    /** 2 layers, hidden 16, 4 heads over 2 KV heads of dim 4, MLP 48, vocab 23; random weights (std 0.3), norms near 1. */
    static LlamaModel model(long seed) throws Exception {
        ModelConfig cfg = ModelConfig.builder("LlamaForCausalLM").hiddenSize(16).numLayers(2).numHeads(4).numKvHeads(2).headDim(4)
                .intermediateSize(48).vocabSize(23).tieWordEmbeddings(false).maxPositionEmbeddings(64).build();
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : LlamaModel.expectedShapes(cfg).entrySet()) {
            Tensor x = Tensor.randn(r.nextLong(), 0.3f, e.getValue());
            if (e.getKey().endsWith("norm.weight")) x = Tensor.uniform(r.nextLong(), 0.5f, 1.5f, e.getValue());
            t.put(e.getKey(), x);
        }
        return LlamaModel.fromTensors(cfg, t, ScalarKernels.INSTANCE);
    }

    static int[][] windows(long seed, int n, int len) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] w = new int[n][len];
        for (int[] row : w) for (int i = 0; i < len; i++) row[i] = r.nextInt(23);
        return w;
    }

    /** Zeroes the down_proj columns of the last NULLS neurons of every layer: their removal provably changes nothing. */
    static void plantNulls(LlamaModel m) {
        for (int l = 0; l < m.numLayers(); l++) {
            Tensor w = m.layer(l).weight(Linear.DOWN);
            int out = w.size(0), in = w.size(1);
            float[] a = w.contiguous().toFloatArray();
            for (int r = 0; r < out; r++) for (int c = in - NULLS; c < in; c++) a[r * in + c] = 0;
            m.layer(l).setWeight(Linear.DOWN, Tensor.of(a, out, in));
        }
    }

    @Test
    void plantedNullNeuronsAreNoiseAndRealOnesAreFound() throws Exception {
        int[][] calib = windows(1, 8, 16);
        for (ScopConfig.Statistic st : ScopConfig.Statistic.values()) {
            LlamaModel m = model(7);
            plantNulls(m);
            // the premise: removing the planted neurons changes nothing, bit for bit
            Tensor before = m.logits(calib);
            int[][] keepReal = new int[2][];
            for (int l = 0; l < 2; l++) keepReal[l] = java.util.stream.IntStream.range(0, 48 - NULLS).toArray();
            LlamaModel masked = model(7);
            plantNulls(masked);
            UnitMask.apply(masked, UnitKind.NEURON, keepReal);
            assertArrayEquals(before.toFloatArray(), masked.logits(calib).toFloatArray(), 0f);

            ScopConfig cfg = new ScopConfig(UnitKind.NEURON, ScopConfig.Loss.KD, st, 16, 0.05, 4, 3);
            Scop.Result r = Scop.score(m, calib, cfg, s -> {});
            UnitScores w = r.scores();
            for (int l = 0; l < 2; l++)
                for (int j = 48 - NULLS; j < 48; j++) assertEquals(0.0, w.row(l)[j], 0.0, st + ": planted null " + j + " of layer " + l + " has W = 0 exactly");
            ScopFdr.Result fdr = ScopFdr.plan(m.config(), "test", w, 0.2, Planner.Allocation.GLOBAL, Planner.Options.DEFAULT);
            for (Plan.LayerPlan lp : fdr.plan().layers()) {
                for (int j : lp.neurons()) assertTrue(j < 48 - NULLS, st + ": kept planted null neuron " + j + " of layer " + lp.source());
                // power: under KD the dense model (λ = 1) is the loss's minimum, so the real units the output depends on
                // pull their gates up; at least half of the 36 must pass at q = 0.2
                assertTrue(lp.intermediateSize() >= (48 - NULLS) / 2, st + ": layer " + lp.source() + " kept only " + lp.intermediateSize());
            }
            for (int l = 0; l < 2; l++) assertTrue(fdr.noise()[l] >= NULLS, "noise count " + fdr.noise()[l] + " covers the planted nulls");
            System.out.printf("scop %s: --fdr 0.2 noise per layer %s (planted %d)%n", st, java.util.Arrays.toString(fdr.noise()), NULLS);
        }
    }

    @Test
    void sameSeedSameScoresAndGatesStayInTheUnitInterval() throws Exception {
        int[][] calib = windows(2, 4, 12);
        ScopConfig cfg = new ScopConfig(UnitKind.NEURON, ScopConfig.Loss.LM, ScopConfig.Statistic.GATE, 6, 0.2, 2, 5);
        Scop.Result a = Scop.score(model(3), calib, cfg, s -> {}), b = Scop.score(model(3), calib, cfg, s -> {});
        assertEquals(a.scores(), b.scores());
        boolean moved = false;
        for (double[] row : a.gates())
            for (double g : row) {
                assertTrue(g >= 0 && g <= 1, "gate " + g);
                moved |= g != 0.5;
            }
        assertTrue(moved, "training moved the gates");
    }

    @Test
    void deadNeuronsAreDroppedFromTheKnockoffModel() throws Exception {
        LlamaModel m = model(4);
        // a zero gate_proj row makes the neuron's activation silu(0)·up = 0 at every position
        Tensor g = m.layer(0).weight(Linear.GATE);
        float[] a = g.contiguous().toFloatArray();
        for (int c = 0; c < 16; c++) a[5 * 16 + c] = 0;
        m.layer(0).setWeight(Linear.GATE, Tensor.of(a, 48, 16));
        Scop.Result r = Scop.score(m, windows(3, 4, 12), new ScopConfig(UnitKind.NEURON, ScopConfig.Loss.LM, ScopConfig.Statistic.SWAP, 2, 0.01, 2, 0), s -> {});
        assertEquals(1, r.dead()[0]);
        assertEquals(0, r.dead()[1]);
        assertEquals(0.0, r.scores().row(0)[5], 0.0, "a dead neuron's knockoff is itself: W = 0");
    }

    @Test
    void headsAndChannelsThroughTheRegistry() throws Exception {
        LlamaModel m = model(5);
        ScoringInput in = new ScoringInput(m, windows(4, 4, 12), 2, null, null, 0, Map.of("scop-steps", "3"), null);
        Map<UnitKind, UnitScores> s = StructuredCriteria.get("scop").score(in, java.util.Set.of(UnitKind.HEAD, UnitKind.CHANNEL));
        assertEquals(2, s.get(UnitKind.HEAD).rows());
        assertEquals(4, s.get(UnitKind.HEAD).row(1).length);
        assertEquals(1, s.get(UnitKind.CHANNEL).rows());
        assertEquals(16, s.get(UnitKind.CHANNEL).row(0).length);
        var e = assertThrows(StructuredException.class, () -> StructuredCriteria.get("scop")
                .score(new ScoringInput(m, windows(4, 4, 12), 2, null, null, 0, Map.of("scop-loss", "mse"), null), java.util.Set.of(UnitKind.HEAD)));
        assertTrue(e.getMessage().contains("--scop-loss must be lm or kd"), e.getMessage());
    }

    @Test
    void fdrOutsideTheUnitIntervalIsAClearError() {
        UnitScores w = new UnitScores(UnitKind.NEURON, "t", new double[][] {{1, 2, 3}});
        for (double q : new double[] {0, 1, -0.1, 1.5, Double.NaN}) {
            var e = assertThrows(PruningException.class, () -> ScopSelection.fdr(w, q, false));
            assertTrue(e.getMessage().contains("--fdr must lie strictly between 0 and 1"), e.getMessage());
        }
    }

    @Test
    void aLayerOfNoiseKeepsOneUnitWithAWarningAndShapesRoundToTheWidest() {
        // row 0: ten clear positives (knockoff+ at q = 0.1 keeps all ten); row 1: nothing beats its knockoff
        double[] clear = {9, 8, 7, 6, 5, 4, 3, 2, 1.5, 1, 0, 0};
        double[] noise = {0.5, -0.5, 0.2, -0.3, 0, 0, 0.1, -0.1, 0, 0, 0, -2};
        UnitScores w = new UnitScores(UnitKind.NEURON, "t", new double[][] {clear, noise});
        ScopSelection.Plan uniform = ScopSelection.fdr(w, 0.1, false);
        assertArrayEquals(new int[] {2, 12}, uniform.noise());
        assertEquals(1, uniform.warnings().size());
        assertTrue(uniform.warnings().get(0).contains("row 1"), uniform.warnings().get(0));
        assertEquals(10, uniform.uniformWidth());
        assertEquals(10, uniform.width(1), "uniform: every row keeps the widest row's count, its top units by W");
        ScopSelection.Plan global = ScopSelection.fdr(w, 0.1, true);
        assertEquals(10, global.width(0));
        assertArrayEquals(new int[] {0}, global.kept()[1], "global: the all-noise row keeps its best unit only");
    }

    @Test
    void rowsTooShortForKnockoffPlusArePooled() {
        // 4 units per row at q = 0.1: alone, a row could pass at best (1 + 0) / 4 > 0.1; pooled, 10 clear positives do
        double[][] s = {{5, 4, 3, -0.5}, {6, 7, 8, 0}, {9, 10, 11, 12}};
        ScopSelection.Plan p = ScopSelection.fdr(new UnitScores(UnitKind.HEAD, "t", s), 0.1, true);
        assertTrue(p.pooled());
        // pooled W: 10 positives, a 0 and a -0.5; t = 0.5: (1 + 1) / 10 > 0.1; t = 3: (1 + 0) / 10 <= 0.1, so τ = 3 everywhere
        assertArrayEquals(new double[] {3, 3, 3}, p.tau());
        assertArrayEquals(new int[] {1, 1, 0}, p.noise());
        assertTrue(p.warnings().get(0).contains("fewer than the 10"), p.warnings().get(0));
        assertFalse(ScopSelection.fdr(new UnitScores(UnitKind.HEAD, "t", s), 0.3, true).pooled(), "4 >= ceil(1 / 0.3)");
    }

    @Test
    void uniformFdrPlansThroughThePlannerWithGqaRounding() throws Exception {
        LlamaModel m = model(6);
        // heads: 4 per layer over 2 KV groups; at q = 0.4 each layer selects 3 (τ = 3: (1 + 0) / 3 ≤ 0.4), so the uniform
        // width 3 rounds up to 4, a multiple of num_key_value_heads = 2
        UnitScores w = new UnitScores(UnitKind.HEAD, "t", new double[][] {{5, 4, 3, -0.01}, {5, 0, 4, 3}});
        ScopFdr.Result r = ScopFdr.plan(m.config(), "test", w, 0.4, Planner.Allocation.UNIFORM, Planner.Options.DEFAULT);
        assertArrayEquals(new int[] {1, 1}, r.noise());
        for (Plan.LayerPlan lp : r.plan().layers()) assertEquals(4, lp.numHeads());
        assertThrows(StructuredException.class, () -> ScopFdr.plan(m.config(), "test", w, 0.4, Planner.Allocation.GLOBAL, Planner.Options.DEFAULT));
    }
}
