package org.prune4j.pruning.structured;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.pruning.TensorSource;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.transformer.LlamaModel;

/**
 * {@code --hf-pad}: a plan with per-layer shapes, written with every layer zero-padded to the widest, is a plain
 * config and computes the same logits as the unpadded checkpoint. Padded units only add exact zeros to sums that
 * the scalar kernels take in index order with the real terms in their old order (see {@link HfPadding}), so the
 * tolerance is zero.
 */
class HfPaddingTest {
    @TempDir Path tmp;
    int run;

    @Test
    void paddedModelComputesWhatTheUnpaddedOneComputes() {
        qt().withExamples(30).forAll(integers().between(0, 1_000_000)).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            ModelConfig cfg = randomConfig(r);
            LlamaModel m = TinyModels.model(cfg, seed);
            Plan plan = EquivalenceTest.withFingerprint(randomPlan(cfg, r), m);
            Path src = save(m);
            LlamaModel plain = write(src, plan, false), padded = write(src, plan, true);
            HfPadding.Widths w = HfPadding.widths(plan);
            ModelConfig pc = padded.config();
            assertFalse(pc.hasPerLayerShapes(), "padded config has per-layer shapes");
            for (int l = 0; l < pc.numLayers(); l++) {
                assertEquals(w.heads(), pc.numHeads(l));
                assertEquals(w.kvHeads(), pc.numKvHeads(l));
                assertEquals(w.intermediate(), pc.intermediateSize(l));
            }
            int[][] tokens = TinyModels.windows(seed + 1, 2, 7, cfg.vocabSize());
            float[] want = plain.logits(tokens).toFloatArray();
            assertArrayEquals(want, padded.logits(tokens).toFloatArray(), 0f, () -> "plan " + PlanJson.toJson(plan));
            boolean maskable = plan.hiddenSize() == cfg.hiddenSize() && plan.layers().stream().noneMatch(Plan.LayerPlan::meanPools);
            if (maskable) assertArrayEquals(PlanMasking.logits(m, plan, tokens), want, 0f, () -> "unpadded vs masked, plan " + PlanJson.toJson(plan));
        });
    }

    @Test
    void groupsOfDifferentSizesPadToTheLargestRatioTimesTheMostGroups() throws IOException {
        // layer 0 keeps 2 KV heads with 1 query head each, layer 1 one KV head with 2: 2 groups x 2 heads = 4 slots
        ModelConfig cfg = TinyModels.config(TinyModels.Attention.GQA, true, false, 2);
        LlamaModel m = TinyModels.model(cfg, 3);
        List<Plan.LayerPlan> layers = List.of(new Plan.LayerPlan(0, new int[] {1, 2}, new int[][] {{0}, {1}}, new int[] {0, 5, 7}),
                new Plan.LayerPlan(1, new int[] {2, 3}, new int[][] {{1}}, Planner.iota(12)));
        Plan plan = EquivalenceTest.withFingerprint(new Plan(Planner.source(cfg, "x"), "test", Map.of(), layers, Planner.iota(16), Map.of()), m);
        assertEquals(new HfPadding.Widths(4, 2, 12), HfPadding.widths(plan));
        HfPadding.Slots s0 = HfPadding.padded(plan.layers().get(0), HfPadding.widths(plan));
        assertArrayEquals(new int[] {1, HfPadding.ZERO, 2, HfPadding.ZERO}, s0.heads());
        HfPadding.Slots s1 = HfPadding.padded(plan.layers().get(1), HfPadding.widths(plan));
        assertArrayEquals(new int[] {2, 3, HfPadding.ZERO, HfPadding.ZERO}, s1.heads());
        assertEquals(0, s1.kv()[1].length, "the padded KV head has no source");
        Path src = save(m);
        LlamaModel padded = write(src, plan, true);
        int[][] tokens = TinyModels.windows(5, 2, 6, cfg.vocabSize());
        assertArrayEquals(write(src, plan, false).logits(tokens).toFloatArray(), padded.logits(tokens).toFloatArray(), 0f);
        // the padded slots hold exact zeros: layer 1's second KV head (k rows 4..7) and the q rows of heads 2 and 3
        float[] k = padded.layer(1).weight(org.prune4j.transformer.Linear.K).toFloatArray();
        for (int i = 4 * 16; i < 8 * 16; i++) assertEquals(0f, k[i]);
        float[] q = padded.layer(1).weight(org.prune4j.transformer.Linear.Q).toFloatArray();
        for (int i = 8 * 16; i < 16 * 16; i++) assertEquals(0f, q[i]);
    }

    @Test
    void aUniformPlanIsWrittenAsWithoutPadding() throws IOException {
        ModelConfig cfg = TinyModels.config(TinyModels.Attention.GQA, false, true, 2);
        LlamaModel m = TinyModels.model(cfg, 9);
        Plan plan = EquivalenceTest.planFor(m, Targets.parse(List.of("num_attention_heads=2", "intermediate_size=5")), Planner.Options.DEFAULT,
                new RandomUnits(), 9);
        Path src = save(m);
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        writeTo(src, plan, false, a);
        writeTo(src, plan, true, b);
        for (String f : List.of("config.json", "model.safetensors")) assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
    }

    // ------------------------------------------------------------------ generators

    /** 2-4 layers, hidden 16, head_dim 4, 2-8 query heads over a divisor of them as KV heads (MHA, GQA, MQA), MLP 4-12. */
    static ModelConfig randomConfig(SplittableRandom r) {
        int heads = 2 * (1 + r.nextInt(4));
        List<Integer> divisors = new ArrayList<>();
        for (int g = 1; g <= heads; g++) if (heads % g == 0) divisors.add(g);
        int kv = divisors.get(r.nextInt(divisors.size()));
        boolean bias = r.nextBoolean();
        try {
            return ModelConfig.builder(bias ? "Qwen2ForCausalLM" : "LlamaForCausalLM").hiddenSize(16).numLayers(2 + r.nextInt(3)).numHeads(heads)
                    .numKvHeads(kv).headDim(4).intermediateSize(4 + r.nextInt(9)).vocabSize(23).tieWordEmbeddings(r.nextBoolean())
                    .maxPositionEmbeddings(64).build();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Per layer: a random set of KV groups, the same random number of query heads in each, sometimes mean-pooled in
     * consecutive pairs, a random set of neurons; a random set of layers and channels. Shapes differ across layers.
     */
    static Plan randomPlan(ModelConfig cfg, SplittableRandom r) {
        int n = cfg.numLayers();
        List<Plan.LayerPlan> layers = new ArrayList<>();
        for (int l : subset(r, n)) {
            int h = cfg.numHeads(l), g = cfg.numKvHeads(l), gs = h / g;
            int[] groups = subset(r, g);
            int k = 1 + r.nextInt(gs);
            List<Integer> heads = new ArrayList<>();
            for (int grp : groups) {
                int[] mine = Planner.iota(gs);
                shuffle(r, mine);
                int[] pick = java.util.Arrays.copyOf(mine, k);
                java.util.Arrays.sort(pick);
                for (int q : pick) heads.add(grp * gs + q);
            }
            boolean pool = groups.length % 2 == 0 && r.nextBoolean();
            int[][] kv = new int[pool ? groups.length / 2 : groups.length][];
            for (int j = 0; j < kv.length; j++) kv[j] = pool ? new int[] {groups[2 * j], groups[2 * j + 1]} : new int[] {groups[j]};
            layers.add(new Plan.LayerPlan(l, heads.stream().mapToInt(Integer::intValue).toArray(), kv, subset(r, cfg.intermediateSize(l))));
        }
        int[] channels = r.nextBoolean() ? Planner.iota(cfg.hiddenSize()) : subset(r, cfg.hiddenSize());
        return new Plan(Planner.source(cfg, "x"), "random-shapes", Map.of(), layers, channels, Map.of());
    }

    /** A random non-empty subset of 0..n-1, ascending. */
    static int[] subset(SplittableRandom r, int n) {
        int[] idx = Planner.iota(n);
        shuffle(r, idx);
        int[] s = java.util.Arrays.copyOf(idx, 1 + r.nextInt(n));
        java.util.Arrays.sort(s);
        return s;
    }

    static void shuffle(SplittableRandom r, int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    // ------------------------------------------------------------------ helpers

    Path save(LlamaModel m) {
        try {
            return TinyModels.save(m, tmp.resolve("src" + run++));
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    LlamaModel write(Path src, Plan plan, boolean hfPad) {
        try {
            Path out = tmp.resolve("out" + run++);
            writeTo(src, plan, hfPad, out);
            return LlamaModel.load(out, ScalarKernels.INSTANCE);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static void writeTo(Path src, Plan plan, boolean hfPad, Path out) throws IOException {
        try (SafeTensors st = SafeTensors.open(src)) {
            ModelConfig cfg = ModelConfig.read(src);
            TensorSource ts = TensorSource.of(st);
            StructuredWriter.requireSource(plan, cfg, ts, "plan");
            StructuredWriter.write(src, cfg, ts, plan, out, false, hfPad, Map.of(), null);
        }
    }
}
