package org.prune4j.pruning.structured;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.prune4j.io.config.ModelConfig;

/** What the planner keeps, from scores alone. */
class PlannerTest {
    static ModelConfig gqa(int layers, int heads, int kv, int inter) throws Exception {
        return ModelConfig.builder("LlamaForCausalLM").hiddenSize(32).numLayers(layers).numHeads(heads).numKvHeads(kv).headDim(4)
                .intermediateSize(inter).vocabSize(10).build();
    }

    static double[][] random(SplittableRandom r, int rows, int cols) {
        double[][] s = new double[rows][cols];
        for (double[] row : s) for (int i = 0; i < cols; i++) row[i] = r.nextDouble();
        return s;
    }

    @Test
    void gqaKeepsTheBestHeadsOfEveryGroupAndTheSameNumberInEach() {
        qt().withExamples(50).forAll(integers().between(1, 4), integers().between(1, 4), integers().between(0, 100_000)).checkAssert((kv, perGroup, seed) -> {
            try {
                int groupSize = 4, heads = kv * groupSize, keep = Math.min(perGroup, groupSize);
                ModelConfig cfg = gqa(2, heads, kv, 8);
                double[][] hs = random(new SplittableRandom(seed), 2, heads);
                Plan p = Planner.plan(cfg, "x", Targets.parse(List.of("num_attention_heads=" + keep * kv)),
                        Map.of(UnitKind.HEAD, new UnitScores(UnitKind.HEAD, "t", hs)), "t", Planner.Options.DEFAULT);
                for (Plan.LayerPlan l : p.layers()) {
                    assertEquals(kv, l.numKvHeads());
                    for (int g = 0; g < kv; g++) {
                        final int grp = g;
                        int[] kept = Arrays.stream(l.heads()).filter(h -> h / groupSize == grp).toArray();
                        assertEquals(keep, kept.length);
                        double worstKept = Arrays.stream(kept).mapToDouble(h -> hs[l.source()][h]).min().orElseThrow();
                        for (int h = g * groupSize; h < (g + 1) * groupSize; h++) {
                            final int hh = h;
                            if (Arrays.stream(kept).noneMatch(x -> x == hh)) assertTrue(hs[l.source()][h] <= worstKept);
                        }
                    }
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void globalAllocationKeepsTheUniformTotalAndWholeSlots() throws Exception {
        ModelConfig cfg = gqa(3, 8, 2, 10);
        SplittableRandom r = new SplittableRandom(3);
        double[][] hs = random(r, 3, 8), ns = random(r, 3, 10);
        for (int i = 0; i < 8; i++) hs[2][i] += 10; // layer 2's heads matter most
        for (int i = 0; i < 10; i++) ns[0][i] += 10; // layer 0's neurons matter most
        Plan p = Planner.plan(cfg, "x", Targets.parse(List.of("num_attention_heads=4", "intermediate_size=5")),
                Map.of(UnitKind.HEAD, new UnitScores(UnitKind.HEAD, "t", hs), UnitKind.NEURON, new UnitScores(UnitKind.NEURON, "t", ns)), "t",
                new Planner.Options(Planner.KvReduce.MEAN_POOL, Planner.Allocation.GLOBAL, false));
        assertEquals(12, p.layers().stream().mapToInt(Plan.LayerPlan::numHeads).sum());
        assertEquals(15, p.layers().stream().mapToInt(Plan.LayerPlan::intermediateSize).sum());
        for (Plan.LayerPlan l : p.layers()) assertEquals(0, l.numHeads() % 2, "whole slots: one head per KV group");
        assertEquals(8, p.layers().get(2).numHeads());
        assertEquals(10, p.layers().get(0).intermediateSize());
        assertTrue(p.perLayerShapes());
    }

    @Test
    void contiguousDropsTheLeastImportantBlockAndLayersTheLowestScores() throws Exception {
        ModelConfig cfg = gqa(5, 4, 2, 4);
        Plan p = Planner.plan(cfg, "x", Targets.parse(List.of("num_hidden_layers=3")),
                Map.of(UnitKind.BLOCK, new UnitScores(UnitKind.BLOCK, "t", new double[][] {{0.5, 0.4, 0.1, 0.3}})), "t",
                new Planner.Options(Planner.KvReduce.MEAN_POOL, Planner.Allocation.UNIFORM, true));
        assertArrayEquals(new int[] {0, 1, 4}, p.layers().stream().mapToInt(Plan.LayerPlan::source).toArray());
        Plan q = Planner.plan(cfg, "x", Targets.parse(List.of("num_hidden_layers=3")),
                Map.of(UnitKind.LAYER, new UnitScores(UnitKind.LAYER, "t", new double[][] {{0.9, 0.1, 0.5, 0.2, 0.7}})), "t", Planner.Options.DEFAULT);
        assertArrayEquals(new int[] {0, 2, 4}, q.layers().stream().mapToInt(Plan.LayerPlan::source).toArray());
    }

    @Test
    void meanPoolingMakesConsecutiveGroupsAndKeepsEveryQueryHead() throws Exception {
        ModelConfig cfg = gqa(1, 8, 8, 4);
        Plan p = Planner.plan(cfg, "x", Targets.parse(List.of("num_key_value_heads=2")), Map.of(), "mean-pool", Planner.Options.DEFAULT);
        assertArrayEquals(new int[][] {{0, 1, 2, 3}, {4, 5, 6, 7}}, p.layers().get(0).kv());
        assertEquals(8, p.layers().get(0).numHeads());
        Plan mqa = Planner.plan(cfg, "x", Targets.parse(List.of("num_key_value_heads=1")), Map.of(), "mean-pool", Planner.Options.DEFAULT);
        assertArrayEquals(new int[][] {{0, 1, 2, 3, 4, 5, 6, 7}}, mqa.layers().get(0).kv());
    }
}
