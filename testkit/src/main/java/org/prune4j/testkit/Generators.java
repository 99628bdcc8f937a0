package org.prune4j.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.structured.Fingerprint;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.pruning.structured.RandomUnits;
import org.prune4j.pruning.structured.ScoringInput;
import org.prune4j.pruning.structured.Targets;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LlamaModel;

/**
 * Plain functions from a random source to the things pruning tests need: Llama-family configs, weights at the
 * scales trained models have, calibration activations with outlier features, token windows, masks and structured
 * plans. {@link Gens} wraps them as QuickTheories generators; any other property-testing library can wrap them too.
 */
public final class Generators {
    private Generators() {}

    /**
     * A config: MHA, GQA or MQA (1, 2 or 4 heads per KV head), head_dim 2-8, 1-3 layers, tied or untied head,
     * Llama or Qwen2 (q/k/v bias), and with probability 1/3 per-layer heads and MLP widths.
      *
      * @param r the random source
      * @return a config
     */
    public static ModelConfig config(SplittableRandom r) {
        int kv = 1 << r.nextInt(3), group = 1 << r.nextInt(3), headDim = 2 << r.nextInt(3), layers = 1 + r.nextInt(3);
        boolean bias = r.nextBoolean();
        try {
            ModelConfig.Builder b = ModelConfig.builder(bias ? "Qwen2ForCausalLM" : "LlamaForCausalLM").hiddenSize(4 * (1 + r.nextInt(6)))
                    .numLayers(layers).numHeads(kv * group).numKvHeads(kv).headDim(headDim).intermediateSize(2 + r.nextInt(23))
                    .vocabSize(8 + r.nextInt(40)).tieWordEmbeddings(r.nextBoolean()).maxPositionEmbeddings(64);
            if (r.nextInt(3) == 0)
                for (int l = 0; l < layers; l++) {
                    int k = 1 << r.nextInt(3);
                    b.layer(l, k << r.nextInt(3), k, 2 + r.nextInt(23));
                }
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * W [rows, cols] as trained LLM weights look: N(0, 1/cols) with heavy tails (1% of weights 4x larger),
     * so magnitudes are spread and ties have probability zero.
      *
      * @param r the random source
      * @param rows output rows
      * @param cols input columns
      * @return the weights, row-major
     */
    public static float[] weights(SplittableRandom r, int rows, int cols) {
        float[] w = new float[rows * cols];
        double std = 1 / Math.sqrt(cols);
        for (int i = 0; i < w.length; i++) w[i] = (float) (gauss(r) * std * (r.nextInt(100) == 0 ? 4 : 1));
        return w;
    }

    /**
     * X [tokens, cols] as LLM hidden states look: per-feature scales from 0.5 to 2, and about one feature in 32
     * an outlier 20x larger (Dettmers et al.'s emergent features, the reason Wanda weights by ||X_j||).
      *
      * @param r the random source
      * @param tokens tokens (rows of X)
      * @param cols input columns
      * @return the activations X, row-major [tokens, cols]
     */
    public static float[] activations(SplittableRandom r, int tokens, int cols) {
        double[] scale = new double[cols];
        for (int j = 0; j < cols; j++) scale[j] = (0.5 + 1.5 * r.nextDouble()) * (r.nextInt(32) == 0 ? 20 : 1);
        float[] x = new float[tokens * cols];
        for (int t = 0; t < tokens; t++) for (int j = 0; j < cols; j++) x[t * cols + j] = (float) (gauss(r) * scale[j]);
        return x;
    }

    /**
     * Every tensor of a model with {@code cfg}'s shapes: linear weights by {@link #weights}, biases N(0, 0.01), norms around 1.
     *
     * @param cfg the model's config
     * @param r the random source
     * @return every tensor by name
     */
    public static Map<String, Tensor> tensors(ModelConfig cfg, SplittableRandom r) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : LlamaModel.expectedShapes(cfg).entrySet()) {
            int[] s = e.getValue();
            String n = e.getKey();
            float[] v;
            if (n.endsWith("norm.weight")) {
                v = new float[s[0]];
                for (int i = 0; i < v.length; i++) v[i] = (float) (0.8 + 0.4 * r.nextDouble());
            } else if (s.length == 1) {
                v = new float[s[0]];
                for (int i = 0; i < v.length; i++) v[i] = (float) (0.1 * gauss(r));
            } else v = weights(r, s[0], s[1]);
            t.put(n, Tensor.of(v, s));
        }
        return t;
    }

    /**
     * A model of {@code cfg} with {@link #tensors} on the scalar kernels (double sums in index order: reproducible bit for bit).
     *
     * @param cfg the model's config
     * @param r the random source
     * @return the model
     */
    public static LlamaModel model(ModelConfig cfg, SplittableRandom r) {
        return LlamaModel.fromTensors(cfg, tensors(cfg, r), ScalarKernels.INSTANCE);
    }

    /**
     * {@code n} calibration windows of {@code len} token ids below {@code vocab}.
     *
     * @param r the random source
     * @param n how many windows
     * @param len tokens per window
     * @param vocab the vocabulary size
     * @return the windows
     */
    public static int[][] windows(SplittableRandom r, int n, int len, int vocab) {
        int[][] w = new int[n][len];
        for (int[] row : w) for (int i = 0; i < len; i++) row[i] = r.nextInt(vocab);
        return w;
    }

    /**
     * A keep-mask [rows, cols] with exactly floor(rows * cols * sparsity) entries false, placed at random.
     *
     * @param r the random source
     * @param rows output rows
     * @param cols input columns
     * @param sparsity the fraction pruned
     * @return the keep-mask, row-major
     */
    public static boolean[] mask(SplittableRandom r, int rows, int cols, double sparsity) {
        int n = rows * cols, drop = (int) Math.floor(n * sparsity);
        boolean[] keep = new boolean[n];
        java.util.Arrays.fill(keep, true);
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        for (int i = 0; i < drop; i++) {
            int j = i + r.nextInt(n - i), t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
            keep[idx[i]] = false;
        }
        return keep;
    }

    /**
     * A structured plan for {@code m} (uniform shapes): random query heads (a multiple of the KV heads kept per
     * layer), KV heads pruned or mean-pooled, MLP neurons, sometimes fewer layers or hidden channels, ranked by
     * random scores. {@code channels}: whether hidden channels may be removed.
      *
      * @param m the model
      * @param r the random source
      * @param channels whether channels are removed too
      * @return a plan
     */
    public static Plan plan(LlamaModel m, SplittableRandom r, boolean channels) {
        ModelConfig cfg = m.config();
        int hkv = cfg.numKvHeads(0), group = cfg.numHeads(0) / hkv;
        boolean kvPrune = hkv > 1 && r.nextBoolean();
        int g = kvPrune ? 1 + r.nextInt(hkv) : hkv;
        List<String> t = new ArrayList<>();
        if (kvPrune) t.add("num_key_value_heads=" + g);
        t.add("num_attention_heads=" + (g * (1 + r.nextInt(group))));
        t.add("intermediate_size=" + (1 + r.nextInt(cfg.intermediateSize(0))));
        if (r.nextBoolean()) t.add("num_hidden_layers=" + (1 + r.nextInt(cfg.numLayers())));
        if (channels && r.nextBoolean()) t.add("hidden_size=" + (1 + r.nextInt(cfg.hiddenSize())));
        Targets targets = Targets.parse(t);
        Planner.Options o = new Planner.Options(kvPrune ? Planner.KvReduce.PRUNE : Planner.KvReduce.MEAN_POOL, Planner.Allocation.UNIFORM, false);
        try {
            var kinds = targets.kinds(kvPrune, false);
            var scores = new RandomUnits().score(new ScoringInput(m, null, 1, null, null, r.nextLong(), Map.of(), QUIET), kinds);
            return Planner.plan(cfg, Fingerprint.of(TensorSource.of(m.namedTensors())), targets, scores, "random", o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    static double gauss(SplittableRandom r) {
        double u = 1 - r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
