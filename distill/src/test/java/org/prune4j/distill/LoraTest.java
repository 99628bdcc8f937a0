package org.prune4j.distill;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.autograd.Var;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;

/** LoRA through the LinearLayer seam: starts as the identity, merges into the same function, keeps zeros, saves as PEFT. */
class LoraTest {
    static final VectorKernels K = new VectorKernels(2);
    static final int[][] TOKENS = {TinyModels.pattern(24, 32), java.util.Arrays.copyOfRange(TinyModels.pattern(40, 32), 16, 40)};

    static Lora.Config all(int r) {
        return new Lora.Config(r, 16, 0, EnumSet.allOf(Linear.class));
    }

    static void randomizeB(Lora lo) {
        long seed = 100;
        for (Map.Entry<String, Var> e : lo.parameters().entrySet())
            if (e.getKey().endsWith("lora_B.weight")) e.getValue().value().copyFrom(Tensor.randn(seed++, 0.05f, e.getValue().shape()));
    }

    @Test
    void freshAdaptersAreTheIdentity() {
        LlamaModel m = TinyModels.model(32, 2, 32, 3, 0.3f, K);
        float[] before = m.logits(TOKENS).toFloatArray();
        Lora lo = Lora.attach(m, all(4), 1);
        assertArrayEquals(before, m.logits(TOKENS).toFloatArray(), 0f, "B = 0: x W^T + (alpha/r) (x A^T) 0^T is x W^T exactly");
        randomizeB(lo);
        assertFalse(java.util.Arrays.equals(before, m.logits(TOKENS).toFloatArray()), "and B != 0 changes the output (the test can fail)");
        for (Var v : m.parameters().values()) assertFalse(v.requiresGrad(), v + " frozen");
        assertEquals(2 * 7 * 2, lo.parameters().size());
    }

    @Test
    void mergedWeightsComputeWhatTheAdaptersDid() {
        // The merged weight is W + s B A rounded once to F32 (relative 6e-8 per entry, the double sum exact below that);
        // the unmerged path rounds x A^T, then B, then the add (a few ulp each). Over 2 layers of width <= 64 the logits
        // agree to ~1e-6 of their largest entry; 1e-4 leaves margin, while a missing alpha/r or a transposed B errs by O(1).
        LlamaModel m = TinyModels.model(32, 2, 32, 3, 0.3f, K);
        Lora lo = Lora.attach(m, all(4), 1);
        randomizeB(lo);
        float[] unmerged = m.logits(TOKENS).toFloatArray();
        lo.merge(false);
        float[] merged = m.logits(TOKENS).toFloatArray();
        double max = 0, err = 0;
        for (int i = 0; i < merged.length; i++) {
            max = Math.max(max, Math.abs(unmerged[i]));
            err = Math.max(err, Math.abs(unmerged[i] - merged[i]));
        }
        assertTrue(err < 1e-4 * max, "max diff " + err + " of " + max);
        assertTrue(m.layer(0).linear(Linear.Q) instanceof org.prune4j.transformer.LinearLayer.Dense, "dense layers are back after the merge");
    }

    @Test
    void aMaskedMergeKeepsTheZerosOfASparseBase() {
        for (boolean keep : new boolean[] {true, false}) {
            LlamaModel m = TinyModels.model(32, 2, 32, 3, 0.3f, K);
            KeepSparsityTest.prune24(m);
            float[] q = m.layer(1).weight(Linear.Q).toFloatArray();
            Lora lo = Lora.attach(m, all(4), 1);
            randomizeB(lo);
            lo.merge(keep);
            float[] after = m.layer(1).weight(Linear.Q).toFloatArray();
            long moved = 0;
            for (int i = 0; i < q.length; i++) if (q[i] == 0 && after[i] != 0) moved++;
            if (keep) assertEquals(0, moved);
            else assertTrue(moved > 100, "an unmasked merge fills the zeros in");
        }
    }

    @Test
    void trainingMovesOnlyTheAdaptersAndTheLossFalls() throws Exception {
        LlamaModel teacher = TinyModels.model(32, 2, 32, 4, 0.3f, K);
        LlamaModel student = TinyModels.model(32, 2, 32, 3, 0.3f, K);
        Map<String, float[]> base = new java.util.LinkedHashMap<>();
        student.parameters().forEach((n, v) -> base.put(n, v.value().toFloatArray()));
        Lora lo = Lora.attach(student, new Lora.Config(4, 8, 0.1, EnumSet.of(Linear.Q, Linear.V, Linear.DOWN)), 1);
        KdObjective kd = new KdObjective(teacher, student, KdObjective.Config.logits(KdObjective.LogitLoss.KL, 1f, 1), 0);
        Batches data = new Batches(TinyModels.pattern(2000, 32), 4, 16, Batches.Sampling.FIRST, 0, "s");
        TrainLoop.Settings s = new TrainLoop.Settings(15, 1e-2, 0, Schedule.CONSTANT, 0, 0, 0, false, 0.9, 0.999, 1e-8, 1, 1.0, 1);
        TrainLoop loop = new TrainLoop(lo.parameters(), kd, data, s, null, K, "lora").onMicroBatch(lo::microBatch);
        double first = loop.trainStep().loss();
        TrainLoop.Step last = loop.run(null, null, 0);
        assertTrue(last.loss() < 0.8 * first, first + " -> " + last.loss());
        student.parameters().forEach((n, v) -> assertArrayEquals(base.get(n), v.value().toFloatArray(), 0f, n + " is frozen"));
    }

    @Test
    void savesInPeftLayout(@TempDir Path tmp) throws Exception {
        LlamaModel m = TinyModels.model(32, 2, 32, 3, 0.3f, K);
        Lora lo = Lora.attach(m, new Lora.Config(4, 16, 0.05, EnumSet.of(Linear.Q, Linear.V, Linear.DOWN)), 1);
        Path dir = tmp.resolve("adapter");
        lo.save(dir, "/models/student", false);
        Map<String, Object> c = Json.parseObject(java.nio.file.Files.readString(dir.resolve("adapter_config.json")), true);
        assertEquals("LORA", c.get("peft_type"));
        assertEquals("CAUSAL_LM", c.get("task_type"));
        assertEquals(4L, c.get("r"));
        assertEquals(16.0, ((Number) c.get("lora_alpha")).doubleValue());
        assertEquals(List.of("q_proj", "v_proj", "down_proj"), c.get("target_modules"));
        assertEquals("none", c.get("bias"));
        try (SafeTensors st = SafeTensors.open(dir.resolve("adapter_model.safetensors"))) {
            assertEquals(2 * 3 * 2, st.names().size());
            assertArrayEquals(new long[] {4, 32}, st.info("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").shape());
            assertArrayEquals(new long[] {16, 4}, st.info("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight").shape());
            assertArrayEquals(new long[] {32, 4}, st.info("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight").shape());
            assertArrayEquals(new long[] {4, 64}, st.info("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight").shape());
        }
    }
}
