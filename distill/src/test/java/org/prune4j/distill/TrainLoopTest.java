package org.prune4j.distill;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.prune4j.io.data.Windows;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;

/** The loop behind train learns what a random model cannot know; schedules and sampling have the documented shapes. */
class TrainLoopTest {
    static TrainLoop.Settings settings(int steps, double lr, Schedule sched, int warmup, int accum, long seed) {
        return new TrainLoop.Settings(steps, lr, lr / 10, sched, warmup, 0, 0.1, false, 0.9, 0.95, 1e-8, accum, 1.0, seed);
    }

    @Test
    void learnsARepeatingSequence() throws Exception {
        LlamaModel m = TinyModels.model(32, 2, 16, 1, 0.02f, new VectorKernels(2));
        int[] stream = TinyModels.pattern(2000, 16);
        double before = Perplexity.evaluate(m, Windows.first(stream, 4, 32), 4, null).nll();
        assertEquals(Math.log(16), before, 0.05, "a fresh model with std 0.02 is close to uniform");
        TrainLoop.Step last = TrainLoop.languageModel(m, stream, 4, 32, settings(40, 1e-2, Schedule.COSINE, 4, 1, 5), "pattern").run(null, null, 0);
        double after = Perplexity.evaluate(m, Windows.first(stream, 4, 32), 4, null).nll();
        // the sequence is deterministic after its first token: a model that learned it predicts with near certainty
        assertTrue(after < 0.2, "nll after training " + after + " (last batch loss " + last.loss() + ")");
        assertEquals(40, last.step());
        assertEquals(40L * 4 * 32, last.tokens());
    }

    @Test
    void gradientAccumulationOfTwoHalvesEqualsOneWholeBatch() throws Exception {
        // FIRST sampling: micro-batches 0 and 1 of 2 windows are windows 0..3, the one batch of 4 windows of the other run.
        // Same windows, same mean loss; only the summation order differs (F32 rounding, 1e-6 relative).
        int[] stream = TinyModels.pattern(2000, 16);
        double[] w = new double[2];
        for (int r = 0; r < 2; r++) {
            LlamaModel m = TinyModels.model(32, 2, 16, 1, 0.02f, new VectorKernels(1));
            Batches data = new Batches(stream, r == 0 ? 4 : 2, 32, Batches.Sampling.FIRST, 0, "pattern");
            TrainLoop loop = new TrainLoop(m.parameters(), new LmObjective(m), data, settings(1, 1e-2, Schedule.CONSTANT, 0, r == 0 ? 1 : 2, 0), null, m.kernels(), "t");
            TrainLoop.Step s = loop.trainStep();
            w[r] = s.loss();
        }
        assertEquals(w[0], w[1], 1e-5 * Math.abs(w[0]));
    }

    @Test
    void cosineWarmsUpThenDecaysToTheMinimum() {
        TrainLoop.Settings s = new TrainLoop.Settings(100, 1e-3, 1e-4, Schedule.COSINE, 10, 0, 0, false, 0.9, 0.999, 1e-8, 1, 1, 0);
        assertEquals(1e-4, s.rate(0), 1e-12);
        assertEquals(1e-3, s.rate(9), 1e-12);
        assertEquals(1e-3, s.rate(10), 1e-12);
        assertEquals(5.5e-4, s.rate(55), 1e-12);
        assertEquals(1e-4, s.rate(100), 1e-12);
    }

    @Test
    void wsdIsFlatThenLinearToTheMinimumOverTheDecaySteps() {
        TrainLoop.Settings s = new TrainLoop.Settings(100, 1e-3, 0, Schedule.WSD, 10, 20, 0, false, 0.9, 0.999, 1e-8, 1, 1, 0);
        assertEquals(1e-4, s.rate(0), 1e-12);
        assertEquals(1e-3, s.rate(50), 1e-12);
        assertEquals(1e-3, s.rate(79), 1e-12);
        assertEquals(1e-3 * 19 / 20, s.rate(80), 1e-12);
        assertEquals(0, s.rate(99), 1e-12);
        TrainLoop.Settings c = new TrainLoop.Settings(100, 1e-3, 0, Schedule.CONSTANT, 0, 0, 0, false, 0.9, 0.999, 1e-8, 1, 1, 0);
        assertEquals(1e-3, c.rate(0), 0);
        assertEquals(1e-3, c.rate(99), 0);
    }

    @Test
    void firstSamplingTakesConsecutiveWindowsAndWrapsAround() {
        int[] t = new int[10 * 4 + 3]; // 10 whole windows of 4, a 3-token tail never read
        for (int i = 0; i < t.length; i++) t[i] = i;
        Batches b = new Batches(t, 3, 4, Batches.Sampling.FIRST, 0, "t");
        assertArrayEquals(new int[] {0, 1, 2, 3}, b.get(0)[0]);
        assertArrayEquals(new int[] {8, 9, 10, 11}, b.get(0)[2]);
        assertArrayEquals(new int[] {12, 13, 14, 15}, b.get(1)[0]);
        assertArrayEquals(new int[] {36, 37, 38, 39}, b.get(3)[0]);  // window 9
        assertArrayEquals(new int[] {0, 1, 2, 3}, b.get(3)[1]);      // window 10 mod 10
        Batches r = new Batches(t, 3, 4, Batches.Sampling.RANDOM, 7, "t");
        assertArrayEquals(r.get(5), r.get(5), "a batch depends only on its index");
        assertFalse(java.util.Arrays.deepEquals(r.get(5), r.get(6)));
    }
}
