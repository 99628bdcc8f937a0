package org.prune4j.pruning.structured.gradient;

import java.util.SplittableRandom;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.transformer.LlamaModel;

/** Small random models of each attention kind for the gradient-criterion tests, on the double-accumulating oracle kernels. */
final class TinyModels {
    private TinyModels() {}

    static final int VOCAB = 29;

    /** kind 0: GQA (4 heads, 2 KV groups, untied); 1: MHA (4 heads, tied); 2: MQA (4 heads, 1 KV head, q/k/v bias). */
    static LlamaModel model(int kind, long seed) {
        int kv = switch (kind) { case 0 -> 2; case 1 -> 4; default -> 1; };
        ModelConfig cfg;
        try {
            cfg = ModelConfig.builder(kind == 2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM").hiddenSize(16).vocabSize(VOCAB).numLayers(2).headDim(4)
                    .numHeads(4).numKvHeads(kv).intermediateSize(12).attentionBias(kind == 2)
                    .rmsNormEps(1e-6).ropeTheta(10000).tieWordEmbeddings(kind == 1).maxPositionEmbeddings(64).build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        // std 0.3: large enough that every unit matters to the loss, small enough to keep it smooth (O(1) curvature)
        return LlamaModel.random(cfg, seed, 0.3f, ScalarKernels.INSTANCE);
    }

    /** n windows of t random tokens. */
    static int[][] windows(int n, int t, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] w = new int[n][t];
        for (int[] row : w) for (int i = 0; i < t; i++) row[i] = r.nextInt(VOCAB);
        return w;
    }
}
