package org.prune4j.transformer;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.tensor.VectorKernels;

/** Training from scratch learns a pattern a random model cannot know, and the schedule has the documented shape. */
class TrainerTest {
    @Test
    void learnsARepeatingSequence() throws Exception {
        ModelConfig cfg = ModelConfig.builder("LlamaForCausalLM").hiddenSize(32).vocabSize(16).numLayers(2).headDim(8)
                .numHeads(4).numKvHeads(2).intermediateSize(64).rmsNormEps(1e-5).ropeTheta(10000)
                .tieWordEmbeddings(true).maxPositionEmbeddings(64).build();
        LlamaModel m = LlamaModel.random(cfg, 1, 0.02f, new VectorKernels(2));
        int[] stream = new int[2000];
        int[] pattern = {3, 7, 1, 9, 4, 4, 12, 0, 5};
        for (int i = 0; i < stream.length; i++) stream[i] = pattern[i % pattern.length];
        double before = Perplexity.evaluate(m, org.prune4j.io.data.Windows.first(stream, 4, 32), 4, null).nll();
        assertEquals(Math.log(16), before, 0.05, "a fresh model with std 0.02 is close to uniform");
        Trainer.Settings s = new Trainer.Settings(40, 4, 32, 1e-2, 1e-3, 4, 0.1, 1.0, 5);
        Trainer.Step last = Trainer.train(m, stream, s, null);
        double after = Perplexity.evaluate(m, org.prune4j.io.data.Windows.first(stream, 4, 32), 4, null).nll();
        // the sequence is deterministic after its first token: a model that learned it predicts with near certainty
        assertTrue(after < 0.2, "nll after training " + after + " (last batch loss " + last.loss() + ")");
    }

    @Test
    void scheduleWarmsUpThenDecaysToTheMinimum() {
        Trainer.Settings s = new Trainer.Settings(100, 1, 2, 1e-3, 1e-4, 10, 0, 1, 0);
        assertEquals(1e-4, Trainer.learningRate(s, 0), 1e-12);
        assertEquals(1e-3, Trainer.learningRate(s, 9), 1e-12);
        assertEquals(1e-3, Trainer.learningRate(s, 10), 1e-12);
        assertEquals(5.5e-4, Trainer.learningRate(s, 55), 1e-12);
        assertEquals(1e-4, Trainer.learningRate(s, 100), 1e-12);
    }
}
