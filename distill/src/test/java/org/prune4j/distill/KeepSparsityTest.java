package org.prune4j.distill;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.LlamaModel;

/** A 2:4 student distilled with masked updates is still 2:4, with the same zeros; without masks it would not be. */
class KeepSparsityTest {
    static final VectorKernels K = new VectorKernels(2);

    /** Zeroes the 2 smallest of every 4 consecutive inputs of each row of every decoder matrix. */
    static void prune24(LlamaModel m) {
        m.parameters().forEach((name, p) -> {
            if (!name.startsWith("model.layers.") || p.rank() != 2) return;
            float[] a = p.value().array();
            int o = (int) p.value().offset();
            for (int g = 0; g < p.value().numel(); g += 4) {
                for (int drop = 0; drop < 2; drop++) {
                    int min = -1;
                    for (int j = g; j < g + 4; j++)
                        if (a[o + j] != 0 && (min < 0 || Math.abs(a[o + j]) < Math.abs(a[o + min]))) min = j;
                    a[o + min] = 0;
                }
            }
        });
    }

    static long changedZeros(LlamaModel m, Map<String, float[]> before) {
        long changed = 0;
        for (var e : before.entrySet()) {
            float[] now = m.parameters().get(e.getKey()).value().toFloatArray(), was = e.getValue();
            for (int i = 0; i < was.length; i++) if (was[i] == 0 && now[i] != 0) changed++;
        }
        return changed;
    }

    static void distill(LlamaModel teacher, LlamaModel student, boolean keep) throws Exception {
        KdObjective kd = new KdObjective(teacher, student, KdObjective.Config.logits(KdObjective.LogitLoss.KL, 1f, 1), 0);
        Batches data = new Batches(TinyModels.pattern(2000, 32), 4, 16, Batches.Sampling.FIRST, 0, "stream");
        TrainLoop.Settings s = new TrainLoop.Settings(8, 1e-2, 0, Schedule.CONSTANT, 0, 0, 0.1, true, 0.9, 0.999, 1e-8, 1, 1.0, 1);
        new TrainLoop(student.parameters(), kd, data, s, keep ? SparsityMasks.of(student.parameters()) : null, K, "sparse").run(null, null, 0);
    }

    @Test
    void aTwoFourStudentStaysTwoFour() throws Exception {
        LlamaModel teacher = TinyModels.model(32, 2, 32, 3, 0.3f, K);
        for (boolean keep : new boolean[] {true, false}) {
            LlamaModel student = TinyModels.model(32, 2, 32, 3, 0.3f, K);
            prune24(student);
            Map<String, float[]> before = new java.util.LinkedHashMap<>();
            student.parameters().forEach((n, p) -> { if (n.startsWith("model.layers.") && p.rank() == 2) before.put(n, p.value().toFloatArray()); });
            assertEquals(before.values().stream().mapToLong(a -> a.length / 2).sum(), SparsityMasks.of(student.parameters()).zeros());
            distill(teacher, student, keep);
            if (keep) {
                assertEquals(0, changedZeros(student, before), "every pruned weight is still exactly zero");
                for (var e : before.entrySet()) {
                    float[] now = student.parameters().get(e.getKey()).value().toFloatArray();
                    for (int g = 0; g < now.length; g += 4) {
                        int zeros = 0;
                        for (int j = g; j < g + 4; j++) if (now[j] == 0) zeros++;
                        assertTrue(zeros >= 2, e.getKey() + " group " + g / 4 + " is not 2:4");
                    }
                }
            } else {
                assertTrue(changedZeros(student, before) > 1000, "without masks the zeros move (so the test above can fail)");
            }
        }
    }

    @Test
    void denseModelsHaveNoMask() {
        LlamaModel m = TinyModels.model(32, 2, 32, 3, 0.3f, K);
        assertTrue(SparsityMasks.of(m.parameters()).isEmpty());
        for (Var v : m.parameters().values()) assertNotNull(v);
    }
}
