package org.prune4j.distill;

import org.prune4j.io.config.ModelConfig;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;

/** Small random Llamas (GQA, tied head) for loop tests. */
final class TinyModels {
    private TinyModels() {}

    static ModelConfig config(int hidden, int layers, int vocab) {
        try {
            return ModelConfig.builder("LlamaForCausalLM").hiddenSize(hidden).vocabSize(vocab).numLayers(layers).headDim(8)
                .numHeads(4).numKvHeads(2).intermediateSize(2 * hidden).rmsNormEps(1e-5).ropeTheta(10000)
                .tieWordEmbeddings(true).maxPositionEmbeddings(64).build();
        } catch (org.prune4j.io.config.ConfigException e) {
            throw new IllegalStateException(e);
        }
    }

    static LlamaModel model(int hidden, int layers, int vocab, long seed, float std, Kernels k) {
        return LlamaModel.random(config(hidden, layers, vocab), seed, std, k);
    }

    /** A stream repeating a fixed pattern (deterministic after its first token). */
    static int[] pattern(int n, int vocab) {
        int[] p = {3, 7, 1, 9, 4, 4, 12, 0, 5};
        int[] s = new int[n];
        for (int i = 0; i < n; i++) s[i] = p[i % p.length] % vocab;
        return s;
    }
}
