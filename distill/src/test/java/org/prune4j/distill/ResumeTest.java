package org.prune4j.distill;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.LlamaModel;

/** Checkpoints restore everything a step depends on: resumed runs give the same bytes as uninterrupted ones. */
class ResumeTest {
    static final VectorKernels K = new VectorKernels(2);
    static final int[] STREAM = TinyModels.pattern(3000, 32);

    static final LlamaModel TEACHER = TinyModels.model(32, 3, 32, 11, 0.3f, K);

    /** A fresh student (same seed: the same initial weights) and its KD loop. */
    static TrainLoop loop(int steps, Schedule sched, long dataSeed) {
        LlamaModel student = TinyModels.model(32, 2, 32, 12, 0.1f, K);
        KdObjective kd = new KdObjective(TEACHER, student, KdObjective.Config.logits(KdObjective.LogitLoss.KL, 2f, 0.7), 0);
        Batches data = new Batches(STREAM, 2, 16, Batches.Sampling.RANDOM, dataSeed, "stream");
        TrainLoop.Settings s = new TrainLoop.Settings(steps, 3e-3, 3e-4, sched, 3, 0, 0.1, false, 0.9, 0.999, 1e-8, 2, 1.0, 5);
        return new TrainLoop(student.parameters(), kd, data, s, null, K, "kd test");
    }

    static void assertSameBytes(TrainLoop a, TrainLoop b) {
        assertEquals(a.parameters().keySet(), b.parameters().keySet());
        for (Map.Entry<String, Var> e : a.parameters().entrySet()) {
            float[] x = e.getValue().value().toFloatArray(), y = b.parameters().get(e.getKey()).value().toFloatArray();
            for (int i = 0; i < x.length; i++)
                assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), e.getKey() + "[" + i + "]");
        }
    }

    @Test
    void fortyStepsStraightEqualTwentyThenResumedToForty(@TempDir Path tmp) throws Exception {
        TrainLoop straight = loop(40, Schedule.CONSTANT, 1);
        straight.run(null, null, 0);

        Path ck = tmp.resolve("ck");
        TrainLoop first = loop(20, Schedule.CONSTANT, 1);
        first.run(null, ck, 7);
        TrainLoop resumed = loop(40, Schedule.CONSTANT, 1);
        resumed.resume(ck);
        assertEquals(20, resumed.stepsDone());
        resumed.run(null, ck, 0);
        assertSameBytes(straight, resumed);

        TrainLoop fresh = loop(40, Schedule.CONSTANT, 1); // and the test can fail: 20 steps are not 40
        fresh.resume(tmp.resolve("ck"));
        assertEquals(40, fresh.stepsDone());
        assertThrows(AssertionError.class, () -> assertSameBytes(first, straight));
    }

    @Test
    void aKilledRunResumesFromItsLastCheckpoint(@TempDir Path tmp) throws Exception {
        TrainLoop straight = loop(30, Schedule.COSINE, 1);
        straight.run(null, null, 0);

        Path ck = tmp.resolve("ck");
        TrainLoop killed = loop(30, Schedule.COSINE, 1);
        assertThrows(IllegalStateException.class, () -> killed.run(s -> {
            if (s.step() == 13) throw new IllegalStateException("killed"); // after step 13, before its checkpoint
        }, ck, 5));
        assertEquals(10, Checkpoint.readState(ck).step());
        TrainLoop resumed = loop(30, Schedule.COSINE, 1);
        resumed.resume(ck);
        resumed.run(null, null, 0);
        assertSameBytes(straight, resumed);
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporary folders left beside the checkpoint");
        }
    }

    @Test
    void aCheckpointOfAnotherRunIsRefused(@TempDir Path tmp) throws Exception {
        Path ck = tmp.resolve("ck");
        loop(3, Schedule.CONSTANT, 1).run(null, ck, 0);
        TrainLoop other = loop(6, Schedule.CONSTANT, 2); // other data seed
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.resume(ck));
        assertTrue(e.getMessage().contains("another run"), e.getMessage());
        assertThrows(java.io.IOException.class, () -> loop(6, Schedule.CONSTANT, 1).resume(tmp));
    }

    @Test
    void aNonFiniteLossStopsBeforeTheUpdateAndKeepsTheLastGoodCheckpoint(@TempDir Path tmp) throws Exception {
        LlamaModel student = TinyModels.model(32, 2, 32, 12, 0.1f, K);
        int[] calls = {0};
        Objective lm = new LmObjective(student);
        Objective poisoned = (Tape tape, int[][] batch) -> {
            Objective.Loss l = lm.loss(tape, batch);
            return ++calls[0] == 4 ? new Objective.Loss(tape.scale(l.total(), Float.NaN), l.parts()) : l;
        };
        Batches data = new Batches(STREAM, 2, 16, Batches.Sampling.FIRST, 0, "stream");
        TrainLoop.Settings s = new TrainLoop.Settings(10, 3e-3, 0, Schedule.CONSTANT, 0, 0, 0, false, 0.9, 0.999, 1e-8, 1, 1.0, 5);
        TrainLoop loop = new TrainLoop(student.parameters(), poisoned, data, s, null, K, "nan");
        Path ck = tmp.resolve("ck");
        TrainLoop.NonFiniteLossException e = assertThrows(TrainLoop.NonFiniteLossException.class, () -> loop.run(null, ck, 1));
        assertEquals(4, e.step());
        assertEquals(3, Checkpoint.readState(ck).step());
        try (var saved = org.prune4j.io.safetensors.SafeTensors.open(ck.resolve(Checkpoint.PARAMS))) {
            for (var p : student.parameters().entrySet())
                assertArrayEquals(saved.get(p.getKey()).toFloatArray(), p.getValue().value().toFloatArray(), p.getKey() + " untouched by the bad step");
        }
    }
}
