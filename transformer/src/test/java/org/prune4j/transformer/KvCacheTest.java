package org.prune4j.transformer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;

/**
 * The inference path with a KV cache (prefill, then one token at a time) gives the logits of the full-sequence
 * path. Both are F32 with different summation orders only in attention, so they agree to ~1e-6 of the largest logit;
 * 1e-5 is asserted.
 */
class KvCacheTest {
    /** A GQA model whose layers differ (heads, kv heads, MLP width), as structured pruning leaves them. */
    static LlamaModel ragged() throws Exception {
        ModelConfig cfg = ModelConfig.builder("Qwen2ForCausalLM").hiddenSize(48).vocabSize(61).numLayers(3).headDim(8)
                .numHeads(6).numKvHeads(2).intermediateSize(40)
                .layer(1, 4, 1, 24).layer(2, 6, 6, 56)
                .rmsNormEps(1e-6).ropeTheta(10000).tieWordEmbeddings(false).maxPositionEmbeddings(128).build();
        return LlamaModel.random(cfg, 7, 0.2f, ScalarKernels.INSTANCE);
    }

    static int[][] tokens(int b, int t, int v, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] x = new int[b][t];
        for (int[] row : x) for (int i = 0; i < t; i++) row[i] = r.nextInt(v);
        return x;
    }

    @Test
    void prefillThenDecodeEqualsFullSequence() throws Exception {
        LlamaModel m = ragged();
        int[][] toks = tokens(2, 11, 61, 3);
        Tensor full = m.logits(toks);                                  // [2, 11, V]
        double scale = GoldenTest.maxAbs(full);

        KvCache cache = m.newCache(2, 4); // small capacity: the cache must grow
        int[][] prompt = {java.util.Arrays.copyOf(toks[0], 5), java.util.Arrays.copyOf(toks[1], 5)};
        Tensor pre = m.forward(prompt, cache);                         // [2, 5, V]
        assertTrue(GoldenTest.maxAbsDiff(pre, full.narrow(1, 0, 5)) / scale < 1e-5);
        for (int t = 5; t < 11; t++) {
            Tensor step = m.forward(new int[][] {{toks[0][t]}, {toks[1][t]}}, cache);
            double err = GoldenTest.maxAbsDiff(step, full.narrow(1, t, 1)) / scale;
            assertTrue(err < 1e-5, "position " + t + ": " + err);
        }
        assertEquals(11, cache.length());
    }

    @Test
    void layerByLayerEqualsWholeModel() throws Exception {
        LlamaModel m = ragged();
        int[][] toks = tokens(1, 9, 61, 4);
        Tensor h = m.embed(toks);
        for (int i = 0; i < m.numLayers(); i++) h = m.forwardLayer(i, h, 0, null);
        assertEquals(0.0, GoldenTest.maxAbsDiff(m.head(h), m.logits(toks)));
    }
}
