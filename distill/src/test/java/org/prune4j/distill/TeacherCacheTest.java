package org.prune4j.distill;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.LlamaModel;

/** The top-k teacher cache: with k = vocab it is the full KD loss; smaller k stays close; it is refused for other runs. */
class TeacherCacheTest {
    static final VectorKernels K = new VectorKernels(2);
    static final int V = 32;

    static double[] lossAndGradNorm(KdObjective kd, LlamaModel student, int[][] batch, long m) {
        kd.microBatch(m);
        student.zeroGrad();
        Tape tape = new Tape(K);
        Var loss = kd.loss(tape, batch).total();
        tape.backward(loss);
        double g = 0;
        for (Var p : student.parameters().values()) for (float x : p.grad().toFloatArray()) g += (double) x * x;
        return new double[] {loss.value().item(), Math.sqrt(g), student.parameters().get("model.layers.0.self_attn.q_proj.weight").grad().getFlat(5)};
    }

    @Test
    void withKEqualToTheVocabularyTheCachedLossIsTheFullLoss(@TempDir Path tmp) throws Exception {
        // Same F32 log-softmax values on both paths (the cache stores the teacher's, the full loss recomputes them):
        // the sums differ only in order and in the leftover term r = 1 - sum p (F32 rounding, ~1e-7, times log) ->
        // 1e-5 relative covers it; a wrong bucket or a lost T would be O(1).
        LlamaModel teacher = TinyModels.model(32, 2, V, 4, 0.3f, K), student = TinyModels.model(32, 1, V, 5, 0.3f, K);
        Batches data = new Batches(TinyModels.pattern(1000, V), 2, 16, Batches.Sampling.FIRST, 0, "s");
        for (float tau : new float[] {1f, 2f}) {
            KdObjective.Config cfg = KdObjective.Config.logits(KdObjective.LogitLoss.KL, tau, 1);
            KdObjective full = new KdObjective(teacher, student, cfg, 0);
            try (TeacherCache c = TeacherCache.openOrBuild(tmp.resolve("k" + tau), teacher, data, 8, tau, V, null)) {
                KdObjective cached = new KdObjective(teacher, student, cfg, 0).withCache(c, data.windows());
                for (long m : new long[] {0, 3}) {
                    double[] a = lossAndGradNorm(full, student, data.get(m), m), b = lossAndGradNorm(cached, student, data.get(m), m);
                    assertEquals(a[0], b[0], 1e-5 * a[0], "loss at tau " + tau);
                    assertEquals(a[1], b[1], 1e-4 * a[1], "gradient norm");
                    assertEquals(a[2], b[2], 1e-4 * Math.abs(a[1]), "one gradient entry");
                }
            }
        }
    }

    @Test
    void aSmallKIsAnApproximationAndOtherRunsAreRefused(@TempDir Path tmp) throws Exception {
        LlamaModel teacher = TinyModels.model(32, 2, V, 4, 0.3f, K), student = TinyModels.model(32, 1, V, 5, 0.3f, K);
        Batches data = new Batches(TinyModels.pattern(1000, V), 2, 16, Batches.Sampling.FIRST, 0, "s");
        KdObjective.Config cfg = KdObjective.Config.logits(KdObjective.LogitLoss.KL, 1f, 1);
        double full = lossAndGradNorm(new KdObjective(teacher, student, cfg, 0), student, data.get(1), 1)[0];
        try (TeacherCache c = TeacherCache.openOrBuild(tmp.resolve("k8"), teacher, data, 4, 1f, 8, null)) {
            double top8 = lossAndGradNorm(new KdObjective(teacher, student, cfg, 0).withCache(c, data.windows()), student, data.get(1), 1)[0];
            // bucketing the tail is a coarser partition: by the log-sum inequality its KL is at most the full one
            assertTrue(top8 <= full * (1 + 1e-6) && top8 > 0.5 * full, top8 + " vs " + full);
            assertThrows(IllegalArgumentException.class, () -> c.rows(4, 1, data.windows()), "window 4 was not cached");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TeacherCache.openOrBuild(tmp.resolve("k8"), teacher, data, 4, 2f, 8, null));
        assertTrue(e.getMessage().contains("another run"), e.getMessage());
        int[] top = new int[3];
        TeacherCache.topK(new float[] {1, 5, 3, 5, 0}, 0, 5, top);
        assertArrayEquals(new int[] {1, 3, 2}, top);
    }
}
