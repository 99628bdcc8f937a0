package org.prune4j.cli;

import java.util.SplittableRandom;
import org.prune4j.io.config.ConfigException;
import org.prune4j.io.config.ModelConfig;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The random Llama shape and batch that {@code bench train} and {@code bench distill} share, so the two measure the same model. */
final class TrainShape {
    @Option(names = "--hidden", defaultValue = "128", description = "Hidden size (default ${DEFAULT-VALUE}).")
    int hidden;
    @Option(names = "--layers", defaultValue = "4", description = "Layers (of the student, for bench distill; default ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--heads", defaultValue = "8", description = "Query heads (default ${DEFAULT-VALUE}).")
    int heads;
    @Option(names = "--kv-heads", defaultValue = "2", description = "Key/value heads (default ${DEFAULT-VALUE}).")
    int kvHeads;
    @Option(names = "--intermediate", defaultValue = "384", description = "MLP width (default ${DEFAULT-VALUE}).")
    int intermediate;
    @Option(names = "--vocab", defaultValue = "512", description = "Vocabulary, tied to the embedding (default ${DEFAULT-VALUE}).")
    int vocab;
    @Option(names = "--batch", defaultValue = "16", description = "Windows per step (default ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per window (default ${DEFAULT-VALUE}).")
    int seqLen;

    /** Usage errors for shapes the model cannot take. */
    void check(CommandLine cl) {
        if (batch < 1 || seqLen < 2 || layers < 1) throw new UsageException(cl, "--batch and --layers must be >= 1 and --seq-len >= 2");
        if (hidden % heads != 0 || (hidden / heads) % 2 != 0 || heads % kvHeads != 0)
            throw new UsageException(cl, "--hidden must be a multiple of 2 x --heads, and --heads a multiple of --kv-heads");
    }

    /** The config of this shape with {@code numLayers} layers. */
    ModelConfig config(int numLayers) throws ConfigException {
        return ModelConfig.builder("LlamaForCausalLM").hiddenSize(hidden).vocabSize(vocab).numLayers(numLayers)
                .numHeads(heads).numKvHeads(kvHeads).intermediateSize(intermediate).rmsNormEps(1e-5).ropeTheta(10000)
                .tieWordEmbeddings(true).maxPositionEmbeddings(Math.max(512, seqLen)).build();
    }

    /** One batch of uniformly random token ids [batch, seqLen], the same for every run (seed 1). */
    int[][] randomTokens() {
        SplittableRandom r = new SplittableRandom(1);
        int[][] tokens = new int[batch][seqLen];
        for (int[] row : tokens) for (int i = 0; i < seqLen; i++) row[i] = r.nextInt(vocab);
        return tokens;
    }
}
