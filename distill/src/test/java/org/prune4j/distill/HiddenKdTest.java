package org.prune4j.distill;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.LlamaModel;

/** Hidden-state KD: a narrower student learns through a projection; maps out of range are refused. */
class HiddenKdTest {
    static final VectorKernels K = new VectorKernels(2);

    @Test
    void aNarrowerStudentTrainsThroughAProjectionAndTheHiddenLossFalls() throws Exception {
        LlamaModel teacher = TinyModels.model(32, 3, 32, 4, 0.3f, K);
        LlamaModel student = TinyModels.model(16, 2, 32, 5, 0.3f, K);
        KdObjective kd = new KdObjective(teacher, student,
                new KdObjective.Config(KdObjective.LogitLoss.KL, 1f, 0.5, KdObjective.HiddenLoss.MSE, 1.0, new int[] {0, 2}), 0);
        assertEquals(2, kd.extraParameters().size());
        assertArrayEquals(new int[] {32, 16}, kd.extraParameters().get("distill.projection.1.weight").shape());
        Batches data = new Batches(TinyModels.pattern(2000, 32), 4, 16, Batches.Sampling.FIRST, 0, "s");
        TrainLoop.Settings s = new TrainLoop.Settings(20, 1e-2, 0, Schedule.CONSTANT, 0, 0, 0, false, 0.9, 0.999, 1e-8, 1, 1.0, 1);
        TrainLoop loop = new TrainLoop(student.parameters(), kd, data, s, null, K, "hidden");
        assertTrue(loop.parameters().containsKey("distill.projection.0.weight"), "projections train with the student");
        TrainLoop.Step first = loop.trainStep();
        for (String part : new String[] {"kd", "ce", "hidden"}) assertTrue(first.parts().containsKey(part), part);
        TrainLoop.Step last = loop.run(null, null, 0);
        assertTrue(last.parts().get("hidden") < 0.5 * first.parts().get("hidden"), first.parts() + " -> " + last.parts());
        // total = 0.5 kd + 0.5 ce + 1.0 hidden, as logged
        double want = 0.5 * last.parts().get("kd") + 0.5 * last.parts().get("ce") + last.parts().get("hidden");
        assertEquals(want, last.loss(), 1e-5 * want);
    }

    @Test
    void layerMapsOutOfRangeAreRefused() {
        LlamaModel teacher = TinyModels.model(32, 3, 32, 4, 0.3f, K);
        LlamaModel student = TinyModels.model(32, 2, 32, 5, 0.3f, K);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KdObjective(teacher, student,
                new KdObjective.Config(KdObjective.LogitLoss.KL, 1f, 1, KdObjective.HiddenLoss.COSINE, 1.0, new int[] {0, 3}), 0));
        assertTrue(e.getMessage().contains("teacher layer 3, outside [0, 3)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new KdObjective(teacher, TinyModels.model(32, 2, 64, 5, 0.3f, K),
                KdObjective.Config.logits(KdObjective.LogitLoss.KL, 1f, 1), 0), "vocabularies differ");
    }
}
