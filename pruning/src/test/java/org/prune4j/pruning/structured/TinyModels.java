package org.prune4j.pruning.structured;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LlamaModel;

/** Random small Llama models of every attention kind for the structured tests, in memory and as model folders. */
final class TinyModels {
    private TinyModels() {}

    enum Attention { MHA, GQA, MQA }

    /** A config: 2-3 layers, hidden 16, head_dim 4, 4 heads (MHA: 4 KV heads, GQA: 2, MQA: 1), MLP 12, vocab 23. */
    static ModelConfig config(Attention a, boolean bias, boolean tied, int layers) {
        int heads = 4, kv = switch (a) { case MHA -> 4; case GQA -> 2; case MQA -> 1; };
        try {
            return ModelConfig.builder(bias ? "Qwen2ForCausalLM" : "LlamaForCausalLM").hiddenSize(16).numLayers(layers).numHeads(heads).numKvHeads(kv)
                    .headDim(4).intermediateSize(12).vocabSize(23).tieWordEmbeddings(tied).maxPositionEmbeddings(64).build();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A random model with weights of std 0.3 (so attention is not uniform and no unit is negligible), biases and norm
     * weights random too (norms around 1), on the scalar kernels (sums in double, in index order).
     */
    static LlamaModel model(ModelConfig cfg, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : LlamaModel.expectedShapes(cfg).entrySet()) {
            Tensor x = Tensor.randn(r.nextLong(), e.getKey().endsWith(".bias") ? 0.1f : 0.3f, e.getValue());
            if (e.getKey().endsWith("norm.weight")) x = Tensor.uniform(r.nextLong(), 0.5f, 1.5f, e.getValue());
            t.put(e.getKey(), x);
        }
        return LlamaModel.fromTensors(cfg, t, ScalarKernels.INSTANCE);
    }

    /** Saves a model as a folder: config.json and model.safetensors (F32). */
    static Path save(LlamaModel m, Path dir) throws IOException {
        java.nio.file.Files.createDirectories(dir);
        m.config().write(dir.resolve(ModelConfig.FILE));
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), m.namedTensors(), Map.of());
        return dir;
    }

    /** Token windows [n][t] of random ids. */
    static int[][] windows(long seed, int n, int t, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] w = new int[n][t];
        for (int[] row : w) for (int i = 0; i < t; i++) row[i] = r.nextInt(vocab);
        return w;
    }
}
