package org.prune4j.transformer;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.prune4j.autograd.Tape;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;

/**
 * Mistral's sliding window through the model: full-sequence logits, prefill + KV-cache decoding and the training
 * tape agree (1e-5 of the largest logit, as {@link KvCacheTest} argues), a sequence no longer than the window gives
 * exactly the fully causal logits, and a longer one does not.
 */
class SlidingWindowModelTest {
    static LlamaModel mistral(Integer window, Kernels k) throws Exception {
        ModelConfig cfg = ModelConfig.builder("MistralForCausalLM").hiddenSize(32).vocabSize(50).numLayers(2).headDim(8)
                .numHeads(4).numKvHeads(2).intermediateSize(48).rmsNormEps(1e-5).ropeTheta(10000).tieWordEmbeddings(false)
                .maxPositionEmbeddings(128).slidingWindow(window).build();
        return LlamaModel.random(cfg, 3, 0.3f, k);
    }

    @Test
    void windowIsAppliedInEveryPathAndDecodingMatchesTheFullSequence() throws Exception {
        Kernels k = new VectorKernels(2);
        LlamaModel windowed = mistral(5, k), causal = mistral(null, k);
        assertEquals(5, windowed.layer(0).slidingWindow());
        int[][] toks = KvCacheTest.tokens(2, 19, 50, 4);
        Tensor full = windowed.logits(toks);
        double scale = GoldenTest.maxAbs(full);
        // no query of the first 5 positions loses a key: same as causal; later ones differ
        assertTrue(GoldenTest.maxAbsDiff(full.narrow(1, 0, 5), causal.logits(toks).narrow(1, 0, 5)) / scale < 1e-6);
        assertTrue(GoldenTest.maxAbsDiff(full.narrow(1, 5, 14), causal.logits(toks).narrow(1, 5, 14)) / scale > 1e-3,
                "positions past the window must see fewer keys");

        KvCache cache = windowed.newCache(2, 4);
        int[][] prompt = {java.util.Arrays.copyOf(toks[0], 8), java.util.Arrays.copyOf(toks[1], 8)};
        assertTrue(GoldenTest.maxAbsDiff(windowed.forward(prompt, cache), full.narrow(1, 0, 8)) / scale < 1e-5);
        for (int t = 8; t < 19; t++) {
            Tensor step = windowed.forward(new int[][] {{toks[0][t]}, {toks[1][t]}}, cache);
            double err = GoldenTest.maxAbsDiff(step, full.narrow(1, t, 1)) / scale;
            assertTrue(err < 1e-5, "decode position " + t + ": " + err);
        }

        Tape tape = new Tape(k);
        Tensor trained = windowed.logits(tape, toks, Observer.NONE).value();     // the recording (training) path
        assertTrue(GoldenTest.maxAbsDiff(trained, full) / scale < 1e-5);
        tape.backward(windowed.loss(tape, toks, Observer.NONE));
        assertNotNull(windowed.layer(0).weightVar(Linear.Q).grad(), "gradients flow through the windowed attention");
    }
}
