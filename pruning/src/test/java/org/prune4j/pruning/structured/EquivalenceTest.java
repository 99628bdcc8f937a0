package org.prune4j.pruning.structured;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.pruning.TensorSource;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Intervention;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;

/**
 * Physically removing units must compute what masking them computes. On the scalar kernels every dot product is a
 * double sum in index order, and a masked unit only contributes exact zeros (0·w = 0, s + 0 = s), so removal and
 * masking agree bit for bit: the tolerance is zero, not fitted.
 */
class EquivalenceTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    @TempDir Path tmp;
    int run;

    static TinyModels.Attention attention(int i) { return TinyModels.Attention.values()[i]; }

    @Test
    void removingHeadsNeuronsKvGroupsAndLayersEqualsMaskingThem() {
        qt().withExamples(24).forAll(integers().between(0, 2), booleans().all(), booleans().all(), integers().between(0, 1_000_000))
                .checkAssert((a, bias, tied, seed) -> {
                    ModelConfig cfg = TinyModels.config(attention(a), bias, tied, 3);
                    LlamaModel m = TinyModels.model(cfg, seed);
                    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
                    int hkv = cfg.numKvHeads(0);
                    List<String> t = new ArrayList<>();
                    boolean kvPrune = hkv > 1 && r.nextBoolean();
                    int g = kvPrune ? 1 + r.nextInt(hkv) : hkv;
                    if (kvPrune) t.add("num_key_value_heads=" + g);
                    int heads = hkv == 4 ? 1 + r.nextInt(g) : g * (1 + r.nextInt(4 / hkv)); // MHA: any; GQA/MQA: a multiple of the kept groups
                    t.add("num_attention_heads=" + heads);
                    t.add("intermediate_size=" + (1 + r.nextInt(12)));
                    if (r.nextBoolean()) t.add("num_hidden_layers=" + (1 + r.nextInt(3)));
                    Planner.Options o = new Planner.Options(kvPrune ? Planner.KvReduce.PRUNE : Planner.KvReduce.MEAN_POOL, Planner.Allocation.UNIFORM, false);
                    Plan plan = planFor(m, Targets.parse(t), o, new RandomUnits(), seed);
                    LlamaModel pruned = apply(m, plan);
                    int[][] tokens = TinyModels.windows(seed + 1, 2, 7, cfg.vocabSize());
                    assertArrayEquals(masked(m, plan, tokens), pruned.logits(tokens).toFloatArray(), 0f, () -> "plan " + PlanJson.toJson(plan));
                });
    }

    @Test
    void pruningNothingIsTheIdentity() throws IOException {
        qt().withExamples(12).forAll(integers().between(0, 2), booleans().all(), booleans().all(), integers().between(0, 1_000_000))
                .checkAssert((a, bias, tied, seed) -> {
                    ModelConfig cfg = TinyModels.config(attention(a), bias, tied, 2);
                    LlamaModel m = TinyModels.model(cfg, seed);
                    Targets all = Targets.parse(List.of("num_attention_heads=4", "intermediate_size=12", "hidden_size=16", "num_hidden_layers=2",
                            "num_key_value_heads=" + cfg.numKvHeads(0)));
                    Plan plan = planFor(m, all, Planner.Options.DEFAULT, new MagnitudeUnits(), seed);
                    assertTrue(plan.isIdentity());
                    LlamaModel pruned = apply(m, plan);
                    m.namedTensors().forEach((n, v) -> assertArrayEquals(v.toFloatArray(), pruned.namedTensors().get(n).toFloatArray(), 0f, n));
                    int[][] tokens = TinyModels.windows(seed, 2, 5, cfg.vocabSize());
                    assertArrayEquals(m.logits(tokens).toFloatArray(), pruned.logits(tokens).toFloatArray(), 0f);
                });
    }

    @Test
    void meanPoolingWithAsManyGroupsAsKvHeadsIsTheIdentity() {
        qt().withExamples(9).forAll(integers().between(0, 2), booleans().all(), integers().between(0, 1_000_000)).checkAssert((a, bias, seed) -> {
            ModelConfig cfg = TinyModels.config(attention(a), bias, false, 2);
            LlamaModel m = TinyModels.model(cfg, seed);
            Plan plan = planFor(m, Targets.parse(List.of("num_key_value_heads=" + cfg.numKvHeads(0))), Planner.Options.DEFAULT, null, seed);
            LlamaModel pooled = apply(m, plan);
            int[][] tokens = TinyModels.windows(seed, 2, 6, cfg.vocabSize());
            assertArrayEquals(m.logits(tokens).toFloatArray(), pooled.logits(tokens).toFloatArray(), 0f);
        });
    }

    @Test
    void meanPoolingAveragesConsecutiveKvHeads() {
        ModelConfig cfg = TinyModels.config(TinyModels.Attention.MHA, true, false, 1);
        LlamaModel m = TinyModels.model(cfg, 7);
        Plan plan = planFor(m, Targets.parse(List.of("num_key_value_heads=2")), Planner.Options.DEFAULT, null, 7);
        LlamaModel pooled = apply(m, plan);
        assertEquals(2, pooled.layer(0).numKvHeads());
        assertEquals(4, pooled.layer(0).numHeads());
        for (Linear l : List.of(Linear.K, Linear.V)) {
            float[] src = m.layer(0).weight(l).toFloatArray(), got = pooled.layer(0).weight(l).toFloatArray();
            float[] b = m.layer(0).bias(l).toFloatArray(), gb = pooled.layer(0).bias(l).toFloatArray();
            int d = 4, c = 16;
            for (int j = 0; j < 2; j++)
                for (int t = 0; t < d; t++) {
                    int r0 = (2 * j) * d + t, r1 = (2 * j + 1) * d + t;
                    for (int x = 0; x < c; x++) assertEquals((float) (((double) src[r0 * c + x] + src[r1 * c + x]) / 2), got[(j * d + t) * c + x], 0f);
                    assertEquals((float) (((double) b[r0] + b[r1]) / 2), gb[j * d + t], 0f);
                }
        }
    }

    @Test
    void aUnitWithZeroOutgoingWeightsIsRemovedWithNoChange() {
        qt().withExamples(12).forAll(integers().between(0, 2), booleans().all(), integers().between(0, 1_000_000)).checkAssert((a, tied, seed) -> {
            ModelConfig cfg = TinyModels.config(attention(a), false, tied, 2);
            LlamaModel m = TinyModels.model(cfg, seed);
            int head = (int) Math.floorMod(seed, 4L), neuron = (int) Math.floorMod(seed, 12L);
            boolean gqa = cfg.numKvHeads(0) == 2;
            int[] zero = gqa ? new int[] {head, (head + 2) % 4} : new int[] {head}; // GQA: one head of each group, so both groups keep one
            for (int l = 0; l < 2; l++) {
                float[] o = m.layer(l).weight(Linear.O).toFloatArray(), down = m.layer(l).weight(Linear.DOWN).toFloatArray();
                for (int r = 0; r < 16; r++) {
                    for (int h : zero) for (int d = 0; d < 4; d++) o[r * 16 + h * 4 + d] = 0; // o: [C, H*D]
                    down[r * 12 + neuron] = 0;                              // down: [C, I]
                }
                m.layer(l).setWeight(Linear.O, Tensor.of(o, 16, 16));
                m.layer(l).setWeight(Linear.DOWN, Tensor.of(down, 16, 12));
            }
            // a criterion that ranks exactly those units last: magnitude of the outgoing weights only
            double[][] hs = new double[2][4], ns = new double[2][12];
            for (double[] row : hs) Arrays.fill(row, 1);
            for (double[] row : ns) Arrays.fill(row, 1);
            for (int l = 0; l < 2; l++) {
                for (int h : zero) hs[l][h] = 0;
                ns[l][neuron] = 0;
            }
            int keepHeads = 4 - zero.length;
            Map<UnitKind, UnitScores> s = Map.of(UnitKind.HEAD, new UnitScores(UnitKind.HEAD, "zero", hs), UnitKind.NEURON, new UnitScores(UnitKind.NEURON, "zero", ns));
            Plan plan = Planner.plan(cfg, "x", Targets.parse(List.of("num_attention_heads=" + keepHeads, "intermediate_size=11")), s, "zero", Planner.Options.DEFAULT);
            for (Plan.LayerPlan p : plan.layers()) {
                for (int z : zero) assertFalse(Arrays.stream(p.heads()).anyMatch(h -> h == z));
                assertFalse(Arrays.stream(p.neurons()).anyMatch(i -> i == neuron));
            }
            int[][] tokens = TinyModels.windows(seed, 2, 6, cfg.vocabSize());
            assertArrayEquals(m.logits(tokens).toFloatArray(), apply(m, withFingerprint(plan, m)).logits(tokens).toFloatArray(), 0f);
        });
    }

    // ------------------------------------------------------------------ helpers

    /** The plan a criterion's scores give on model m (fingerprinted from its tensors). */
    static Plan planFor(LlamaModel m, Targets t, Planner.Options o, StructuredCriterion c, long seed) {
        try {
            Map<UnitKind, UnitScores> s = c == null ? Map.of()
                    : c.score(new ScoringInput(m, null, 1, null, null, seed, Map.of(), QUIET), t.kinds(o.kvReduce() == Planner.KvReduce.PRUNE, false));
            return Planner.plan(m.config(), Fingerprint.of(TensorSource.of(m.namedTensors())), t, s, c == null ? "mean-pool" : c.name(), o);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static Plan withFingerprint(Plan p, LlamaModel m) {
        try {
            Plan.Source s = Planner.source(m.config(), Fingerprint.of(TensorSource.of(m.namedTensors())));
            return new Plan(s, p.criterion(), p.targets(), p.layers(), p.channels(), p.scores());
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** Writes the pruned model through the real writer (a folder on disk) and loads it back. */
    LlamaModel apply(LlamaModel m, Plan plan) {
        try {
            Path src = TinyModels.save(m, tmp.resolve("src" + run));
            Path out = tmp.resolve("out" + run++);
            try (SafeTensors st = SafeTensors.open(src)) {
                ModelConfig cfg = ModelConfig.read(src);
                TensorSource ts = TensorSource.of(st);
                StructuredWriter.requireSource(plan, cfg, ts, "plan");
                StructuredWriter.write(src, cfg, ts, plan, out, false, Map.of(), null);
            }
            assertTrue(Files.isDirectory(out));
            return LlamaModel.load(out, ScalarKernels.INSTANCE);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** Logits of the unpruned model with the plan's removed heads and neurons masked to zero and its dropped layers skipped. */
    static float[] masked(LlamaModel m, Plan plan, int[][] tokens) {
        int n = m.numLayers();
        float[][] headMask = new float[n][], neuronMask = new float[n][];
        boolean[] kept = new boolean[n];
        for (Plan.LayerPlan p : plan.layers()) {
            kept[p.source()] = true;
            headMask[p.source()] = new float[m.layer(p.source()).numHeads()];
            for (int h : p.heads()) headMask[p.source()][h] = 1;
            neuronMask[p.source()] = new float[m.layer(p.source()).intermediateSize()];
            for (int i : p.neurons()) neuronMask[p.source()][i] = 1;
        }
        m.setIntervention(new Intervention() {
            @Override public Var headOutputs(Tape tape, int layer, Var perHead) {
                return tape.headMask(perHead, Var.constant(Tensor.of(headMask[layer], headMask[layer].length)));
            }

            @Override public Var neurons(Tape tape, int layer, Var act) {
                return tape.mul(act, Var.constant(Tensor.of(neuronMask[layer], neuronMask[layer].length)));
            }
        });
        try {
            Tape tape = Tape.inference(m.kernels());
            Var h = m.embed(tape, tokens);
            for (int l = 0; l < n; l++) if (kept[l]) h = m.forwardLayer(tape, l, h, 0, org.prune4j.transformer.Observer.NONE);
            return m.head(tape, h).value().toFloatArray();
        } finally {
            m.setIntervention(null);
        }
    }
}
