package org.prune4j.pruning.structured;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.pruning.TensorSource;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;

/** The driver end to end on model folders: plans saved and applied again, and every bad input refused with nothing written. */
class StructuredPrunerTest {
    @TempDir Path tmp;

    static StructuredPruner.Job job(String method, List<String> targets, Planner.KvReduce kv, Path planIn, Path planOut, int[][] windows, Path out) {
        return new StructuredPruner.Job(method, Targets.parse(targets), new Planner.Options(kv, Planner.Allocation.UNIFORM, false), planIn, planOut,
                () -> windows, 2, Aggregation.MEAN, Aggregation.L2, 3, Map.of(), out, false, Map.of("pruned_by", "test"));
    }

    StructuredPruner.Result run(Path model, StructuredPruner.Job job) throws IOException {
        ModelConfig cfg = ModelConfig.read(model);
        try (SafeTensors st = SafeTensors.open(model)) {
            return StructuredPruner.run(model, cfg, TensorSource.of(st), () -> LlamaModel.load(st, cfg, ScalarKernels.INSTANCE), job, EquivalenceTest.QUIET);
        }
    }

    Path folder(TinyModels.Attention a, boolean bias, boolean tied, long seed, String name) throws IOException {
        return TinyModels.save(TinyModels.model(TinyModels.config(a, bias, tied, 3), seed), tmp.resolve(name));
    }

    @Test
    void aSavedPlanAppliedAgainGivesTheSameBytes() throws IOException {
        for (TinyModels.Attention a : TinyModels.Attention.values()) {
            Path model = folder(a, a == TinyModels.Attention.GQA, a != TinyModels.Attention.MHA, 11, "m-" + a);
            int[][] w = TinyModels.windows(5, 4, 9, 23);
            Path plan = tmp.resolve("plan-" + a + ".json"), first = tmp.resolve("first-" + a), second = tmp.resolve("second-" + a);
            List<String> t = List.of("num_attention_heads=" + (a == TinyModels.Attention.GQA ? 2 : 3), "intermediate_size=7", "hidden_size=12", "num_hidden_layers=2");
            StructuredPruner.Result r = run(model, job("minitron", t, Planner.KvReduce.MEAN_POOL, null, plan, w, first));
            run(model, job(null, List.of(), Planner.KvReduce.MEAN_POOL, plan, null, null, second));
            for (String f : List.of("config.json", "model.safetensors"))
                assertArrayEquals(Files.readAllBytes(first.resolve(f)), Files.readAllBytes(second.resolve(f)), a + " " + f);
            Plan back = PlanJson.read(plan);
            assertEquals(r.plan(), back);
            Path again = tmp.resolve("again-" + a + ".json");
            PlanJson.write(back, again);
            assertArrayEquals(Files.readAllBytes(plan), Files.readAllBytes(again));
            ModelConfig c = ModelConfig.read(first);
            assertEquals(12, c.hiddenSize());
            assertEquals(2, c.numLayers());
            assertEquals(7, c.intermediateSize(0));
            assertTrue(c.toJson().containsKey("head_dim"));
            assertFalse(c.hasPerLayerShapes());
            LlamaModel.load(first, ScalarKernels.INSTANCE); // loads with the new shapes
        }
    }

    @Test
    void badInputIsRefusedNamingTheKeyAndTheRuleWithNoOutput() throws IOException {
        Path mha = folder(TinyModels.Attention.MHA, false, false, 1, "mha"), gqa = folder(TinyModels.Attention.GQA, true, false, 2, "gqa");
        int[][] w = TinyModels.windows(1, 2, 6, 23);
        Path out = tmp.resolve("out");
        refused(mha, job("magnitude", List.of("num_attention_heads=5"), Planner.KvReduce.MEAN_POOL, null, null, w, out), out, "num_attention_heads=5", "larger");
        refused(mha, job("magnitude", List.of("intermediate_size=13"), Planner.KvReduce.MEAN_POOL, null, null, w, out), out, "intermediate_size=13", "larger");
        refused(gqa, job("magnitude", List.of("num_attention_heads=3"), Planner.KvReduce.MEAN_POOL, null, null, w, out), out, "num_attention_heads=3", "multiple");
        refused(mha, job(null, List.of("num_key_value_heads=3"), Planner.KvReduce.MEAN_POOL, null, null, w, out), out, "num_key_value_heads=3", "does not divide");
        refused(gqa, job("magnitude", List.of("num_attention_heads=2", "num_key_value_heads=3"), Planner.KvReduce.MEAN_POOL, null, null, w, out), out,
                "num_key_value_heads=3", "larger");
        StructuredException e = assertThrows(StructuredException.class, () -> Targets.parse(List.of("num_heads=2")));
        assertTrue(e.getMessage().contains("unknown key 'num_heads'"), e.getMessage());
        assertThrows(StructuredException.class, () -> Targets.parse(List.of("hidden_size=0")));

        // a plan from another model (same shapes, other weights)
        Path other = folder(TinyModels.Attention.MHA, false, false, 99, "other"), plan = tmp.resolve("plan.json");
        run(mha, job("magnitude", List.of("num_attention_heads=2"), Planner.KvReduce.MEAN_POOL, null, plan, w, null));
        refused(other, job(null, List.of(), Planner.KvReduce.MEAN_POOL, plan, null, null, out), out, plan.toString(), "another model");

        // NaN activations: one NaN weight poisons every later activation
        LlamaModel m = TinyModels.model(TinyModels.config(TinyModels.Attention.GQA, false, false, 2), 3);
        float[] q = m.layer(1).weight(Linear.Q).toFloatArray();
        q[5] = Float.NaN;
        m.layer(1).setWeight(Linear.Q, Tensor.of(q, m.layer(1).weight(Linear.Q).shape()));
        Path nan = TinyModels.save(m, tmp.resolve("nan"));
        for (String t : List.of("num_attention_heads=2", "intermediate_size=4", "hidden_size=8", "num_hidden_layers=1"))
            refused(nan, job("minitron", List.of(t), Planner.KvReduce.MEAN_POOL, null, null, w, out), out, "layer 1", "non-finite");
    }

    void refused(Path model, StructuredPruner.Job job, Path out, String... mentions) {
        StructuredException e = assertThrows(StructuredException.class, () -> run(model, job));
        for (String s : mentions) assertTrue(e.getMessage().contains(s), () -> "'" + e.getMessage() + "' should mention '" + s + "'");
        assertFalse(Files.exists(out), "no output folder after an error");
    }
}
