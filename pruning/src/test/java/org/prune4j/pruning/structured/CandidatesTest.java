package org.prune4j.pruning.structured;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.structured.search.Candidates;
import org.prune4j.pruning.structured.search.Candidates.Candidate;

/** compress's candidate enumeration: within tolerance, within the limits, sorted, counts equal to the written model's. */
class CandidatesTest {
    @TempDir Path tmp;

    /** A uniform GQA model big enough for a grid: hidden 128, heads 8 of 2 KV groups (head_dim 16), MLP 344, 10 layers. */
    static ModelConfig big() throws Exception {
        return ModelConfig.builder("LlamaForCausalLM").hiddenSize(128).numLayers(10).numHeads(8).numKvHeads(2).headDim(16).intermediateSize(344)
                .vocabSize(300).tieWordEmbeddings(true).maxPositionEmbeddings(64).build();
    }

    @Test
    void everyKeptCandidateIsWithinToleranceAndTheLimitsAndTheyAreSortedLargestFirst() throws Exception {
        ModelConfig cfg = big();
        long dense = Candidates.params(cfg, 128, 344, 8, 10);
        qt().withExamples(40).forAll(doubles().between(0.45, 0.95), doubles().between(0.01, 0.1), integers().between(0, 2)).checkAssert((f, tol, axes) -> {
            Candidates.Axes ax = new Candidates.Axes(axes != 2, axes != 1);
            Candidates.Space sp = new Candidates.Space(ax, 0.4, 0.5, tol, 0);
            long budget = Math.round(f * dense);
            Candidates.Enumeration en;
            try {
                en = Candidates.enumerate(cfg, budget, sp);
            } catch (StructuredException e) { // no fit: the message names the reachable range, and indeed nothing in the grid fits
                assertTrue(e.getMessage().contains("smallest reachable size"), e.getMessage());
                return;
            }
            assertFalse(en.fitting().isEmpty());
            for (Candidate c : en.grid()) {
                assertTrue(c.hiddenSize() >= Math.ceil(0.6 * 128 - 1e-9) && c.hiddenSize() <= 128, c.describe());
                assertTrue(c.intermediateSize() >= Math.ceil(0.6 * 344 - 1e-9) && c.intermediateSize() <= 344, c.describe());
                assertTrue(c.numHeads() >= Math.ceil(0.6 * 8 - 1e-9) && c.numHeads() % 2 == 0, c.describe());
                assertTrue(c.numLayers() >= 5 && c.numLayers() <= 10, c.describe());
                if (!ax.width()) assertTrue(c.hiddenSize() == 128 && c.intermediateSize() == 344 && c.numHeads() == 8, c.describe());
                if (!ax.depth()) assertEquals(10, c.numLayers(), c.describe());
                assertEquals(Candidates.params(cfg, c.hiddenSize(), c.intermediateSize(), c.numHeads(), c.numLayers()), c.params());
                boolean in = Math.abs(c.params() - budget) <= tol * budget;
                assertEquals(in, en.fitting().contains(c), c.describe());
            }
            for (int i = 1; i < en.grid().size(); i++) assertTrue(en.grid().get(i - 1).params() >= en.grid().get(i).params());
            List<Candidate> kept = en.kept(3);
            assertEquals(Math.min(3, en.fitting().size()), kept.size());
            for (Candidate c : en.fitting()) if (!kept.contains(c)) assertTrue(c.params() <= kept.get(kept.size() - 1).params());
        });
    }

    @Test
    void aBudgetOutsideTheReachableRangeNamesTheSmallestAndLargestSizes() throws Exception {
        ModelConfig cfg = big();
        Candidates.Space sp = new Candidates.Space(new Candidates.Axes(true, true), 0.4, 0.2, 0.03, 0);
        long dense = Candidates.params(cfg, 128, 344, 8, 10);
        Candidates.Enumeration ok = Candidates.enumerate(cfg, Candidates.budget("0.6", dense), sp);
        String range = String.format(java.util.Locale.ROOT, "the smallest reachable size is %,d and the largest %,d", ok.smallest(), ok.largest());
        StructuredException low = assertThrows(StructuredException.class, () -> Candidates.enumerate(cfg, Candidates.budget("0.1", dense), sp));
        assertTrue(low.getMessage().contains(range), low.getMessage());
        StructuredException high = assertThrows(StructuredException.class, () -> Candidates.enumerate(cfg, dense + 1, sp));
        assertTrue(high.getMessage().contains(range) && high.getMessage().contains("not below"), high.getMessage());
        assertThrows(StructuredException.class, () -> Candidates.budget("lots", dense));
        assertEquals(150_000_000L, Candidates.budget("150M", dense));
        assertEquals(2_500L, Candidates.budget("2.5K", dense));
    }

    @Test
    void theCountOfEveryCandidateIsThatOfTheModelTheWriterWrites() throws Exception {
        int run = 0;
        for (TinyModels.Attention a : List.of(TinyModels.Attention.GQA, TinyModels.Attention.MHA))
            for (boolean bias : new boolean[] {false, true})
                for (boolean tied : new boolean[] {false, true}) {
                    ModelConfig cfg = TinyModels.config(a, bias, tied, 3);
                    Path src = TinyModels.save(TinyModels.model(cfg, 7), tmp.resolve("src" + run));
                    Candidates.Enumeration en = Candidates.enumerate(cfg, Math.round(0.7 * Candidates.params(cfg, 16, 12, 4, 3)),
                            new Candidates.Space(new Candidates.Axes(true, true), 0.5, 0.4, 0.5, 4));
                    SplittableRandom r = new SplittableRandom(run);
                    try (SafeTensors st = SafeTensors.open(src)) {
                        TensorSource ts = TensorSource.of(st);
                        Map<UnitKind, UnitScores> scores = new EnumMap<>(UnitKind.class);
                        for (UnitKind k : List.of(UnitKind.HEAD, UnitKind.NEURON, UnitKind.CHANNEL, UnitKind.LAYER)) {
                            double[][] s = UnitCounts.zeros(cfg, k);
                            for (double[] row : s) for (int i = 0; i < row.length; i++) row[i] = r.nextDouble();
                            scores.put(k, new UnitScores(k, "test", s));
                        }
                        for (Candidate c : en.grid()) {
                            Plan plan = Planner.plan(cfg, Fingerprint.of(ts), c.targets(cfg), scores, "test", Planner.Options.DEFAULT);
                            StructuredWriter.Output o = StructuredWriter.write(src, cfg, ts, plan, tmp.resolve("out" + run++), false, Map.of(), null);
                            assertEquals(c.params(), o.paramsAfter(), a + " bias " + bias + " tied " + tied + ": " + c.describe());
                        }
                    }
                }
        assertTrue(run > 8, "the grids held candidates");
    }
}
