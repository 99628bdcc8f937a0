package org.prune4j.transformer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.TensorInfo;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.ShapeException;
import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;

/**
 * A Llama-family causal language model (Llama, Mistral, Qwen2) computing what Hugging Face's
 * {@code LlamaForCausalLM} / {@code Qwen2ForCausalLM} compute: token embedding, decoder layers, final RMSNorm and
 * the output head (tied to the embedding or not). Weights are held as F32 (BF16/F16 checkpoints are widened at load).
 *
 * <p>Two ways to run it, one code path: on a recording {@link Tape} (training, gradients of every parameter and
 * head mask) or on a non-recording one (inference: the {@code Tensor} methods), optionally with a {@link KvCache}.
 */
public final class LlamaModel {
    private final ModelConfig config;
    private final Kernels k;
    private final Var embed, norm, lmHead;
    private final List<DecoderLayer> layers;
    private final Rotary rotary;
    private final float eps;
    private final List<String> ignored;

    private LlamaModel(ModelConfig config, Kernels k, Var embed, List<DecoderLayer> layers, Var norm, Var lmHead, List<String> ignored) {
        this.config = config;
        this.k = k;
        this.embed = embed;
        this.layers = List.copyOf(layers);
        this.norm = norm;
        this.lmHead = lmHead;
        this.rotary = new Rotary(config.ropeInvFreq());
        this.eps = (float) config.rmsNormEps();
        this.ignored = List.copyOf(ignored);
        if (config.headDim() % 2 != 0) throw new IllegalArgumentException("head_dim " + config.headDim() + " must be even for rotary embeddings");
    }

    // ------------------------------------------------------------------ loading

    /** Loads a Hugging Face model folder (config.json + model.safetensors or a sharded index). */
    public static LlamaModel load(Path dir, Kernels k) throws IOException {
        ModelConfig cfg = ModelConfig.read(dir);
        try (SafeTensors st = SafeTensors.open(dir)) {
            return load(st, cfg, k);
        }
    }

    /**
     * Loads from an open checkpoint: every tensor the config implies must be present with its exact shape (else a
     * {@link CheckpointException} naming the tensor and both shapes); values are copied to F32 heap memory, so the
     * checkpoint may be closed afterwards. Tensors the model does not use are listed by {@link #ignoredTensors()}.
     */
    public static LlamaModel load(SafeTensors st, ModelConfig cfg, Kernels k) throws IOException {
        Map<String, int[]> expected = expectedShapes(cfg);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        int threads = k.parallelism();
        java.util.Set<String> consumed = new java.util.HashSet<>();
        boolean sparse24 = org.prune4j.io.safetensors.Sparse24Bitmask.declaredIn(cfg.raw());
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            String name = e.getKey();
            if (org.prune4j.io.safetensors.Sparse24Bitmask.storedIn(st, name)) {
                // compressed-tensors' sparse-24-bitmask: .shape, .compressed and .bitmask instead of .weight
                if (!sparse24)
                    throw new CheckpointException(st.path() + ": " + name + " is stored compressed (.compressed, .bitmask) but config.json declares no"
                            + " quantization_config.sparsity_config with format " + org.prune4j.io.safetensors.Sparse24Bitmask.FORMAT);
                Tensor w = org.prune4j.io.safetensors.Sparse24Bitmask.read(st, name);
                if (!java.util.Arrays.equals(w.shape(), e.getValue()))
                    throw new CheckpointException(st.path() + ": tensor " + name + " has shape " + Shapes.str(w.shape()) + " but the config implies " + Shapes.str(e.getValue()));
                tensors.put(name, w);
                consumed.addAll(org.prune4j.io.safetensors.Sparse24Bitmask.names(name));
                continue;
            }
            if (!st.contains(name))
                throw new CheckpointException(st.path() + ": missing tensor " + name + " (expected shape " + Shapes.str(e.getValue()) + ")");
            TensorInfo info = st.info(name);
            int[] shape = toInts(info.shape());
            if (!java.util.Arrays.equals(shape, e.getValue()))
                throw new CheckpointException(st.path() + ": tensor " + name + " has shape " + Shapes.str(shape) + " but the config implies " + Shapes.str(e.getValue()));
            if (!info.dtype().isWeightType())
                throw new CheckpointException(st.path() + ": tensor " + name + " is stored as " + info.dtype() + "; weights must be F32, BF16 or F16");
            tensors.put(name, Widen.toHeapF32(st.get(name), threads));
        }
        List<String> ignored = new ArrayList<>();
        for (String n : st.names()) if (!expected.containsKey(n) && !consumed.contains(n)) ignored.add(n);
        return build(cfg, tensors, k, ignored);
    }

    private static int[] toInts(long[] s) {
        int[] r = new int[s.length];
        for (int i = 0; i < s.length; i++) r[i] = (int) Math.min(s[i], Integer.MAX_VALUE);
        return r;
    }

    /**
     * A model from named tensors in Hugging Face names (e.g. a structurally pruned copy made from
     * {@link #namedTensors()} and a config with new per-layer shapes). Shapes are validated like {@link #load}.
     */
    public static LlamaModel fromTensors(ModelConfig cfg, Map<String, Tensor> tensors, Kernels k) {
        Map<String, int[]> expected = expectedShapes(cfg);
        Map<String, Tensor> used = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null) throw new ShapeException("missing tensor " + e.getKey() + " (expected shape " + Shapes.str(e.getValue()) + ")");
            DecoderLayer.checkShape(e.getKey(), e.getValue(), t.shape());
            used.put(e.getKey(), t.toF32());
        }
        List<String> ignored = new ArrayList<>();
        for (String n : tensors.keySet()) if (!expected.containsKey(n)) ignored.add(n);
        return build(cfg, used, k, ignored);
    }

    /**
     * A freshly initialised model, as Hugging Face initialises one: linear and embedding weights from N(0, std^2)
     * (std = initializer_range, 0.02), biases zero, norm weights one. Deterministic in {@code seed}.
     */
    public static LlamaModel random(ModelConfig cfg, long seed, float std, Kernels k) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        SplittableRandom seeds = new SplittableRandom(seed);
        for (Map.Entry<String, int[]> e : expectedShapes(cfg).entrySet()) {
            String n = e.getKey();
            int[] s = e.getValue();
            Tensor t;
            if (n.endsWith("norm.weight")) t = Tensor.full(1f, s);
            else if (n.endsWith(".bias")) t = Tensor.zeros(s);
            else t = Tensor.randn(seeds.nextLong(), std, s);
            tensors.put(n, t);
        }
        return build(cfg, tensors, k, List.of());
    }

    /** Every tensor the config implies, in Hugging Face names, with its shape. */
    public static Map<String, int[]> expectedShapes(ModelConfig cfg) {
        Map<String, int[]> m = new LinkedHashMap<>();
        int c = cfg.hiddenSize(), d = cfg.headDim(), v = cfg.vocabSize();
        m.put("model.embed_tokens.weight", new int[] {v, c});
        for (int i = 0; i < cfg.numLayers(); i++) {
            int h = cfg.numHeads(i), hkv = cfg.numKvHeads(i), inter = cfg.intermediateSize(i);
            m.put("model.layers." + i + ".input_layernorm.weight", new int[] {c});
            m.put("model.layers." + i + ".post_attention_layernorm.weight", new int[] {c});
            for (Linear l : Linear.values()) {
                int[] w = switch (l) {
                    case Q -> new int[] {h * d, c};
                    case K, V -> new int[] {hkv * d, c};
                    case O -> new int[] {c, h * d};
                    case GATE, UP -> new int[] {inter, c};
                    case DOWN -> new int[] {c, inter};
                };
                m.put(l.weightName(i), w);
                if (hasBias(cfg, l)) m.put(l.biasName(i), new int[] {w[0]});
            }
        }
        m.put("model.norm.weight", new int[] {c});
        if (!cfg.tieWordEmbeddings()) m.put("lm_head.weight", new int[] {v, c});
        return m;
    }

    /** Which linears carry a bias: q/k/v with attention_bias (Qwen2, some Llamas), o too for Llama, MLP with mlp_bias. */
    static boolean hasBias(ModelConfig cfg, Linear l) {
        return switch (l) {
            case Q, K, V -> cfg.attentionBias();
            case O -> cfg.outputBias();
            case GATE, UP, DOWN -> cfg.mlpBias();
        };
    }

    private static LlamaModel build(ModelConfig cfg, Map<String, Tensor> t, Kernels k, List<String> ignored) {
        Var embed = Var.param(t.get("model.embed_tokens.weight"), "model.embed_tokens.weight");
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < cfg.numLayers(); i++) {
            Map<Linear, Var> w = new EnumMap<>(Linear.class), b = new EnumMap<>(Linear.class);
            for (Linear l : Linear.values()) {
                w.put(l, Var.param(t.get(l.weightName(i)), l.weightName(i)));
                if (t.containsKey(l.biasName(i))) b.put(l, Var.param(t.get(l.biasName(i)), l.biasName(i)));
            }
            String p = "model.layers." + i + ".";
            layers.add(new DecoderLayer(i, cfg.hiddenSize(), cfg.numHeads(i), cfg.numKvHeads(i), cfg.headDim(), cfg.intermediateSize(i), w, b,
                    Var.param(t.get(p + "input_layernorm.weight"), p + "input_layernorm.weight"),
                    Var.param(t.get(p + "post_attention_layernorm.weight"), p + "post_attention_layernorm.weight"), slidingWindow(cfg)));
        }
        Var norm = Var.param(t.get("model.norm.weight"), "model.norm.weight");
        Var head = cfg.tieWordEmbeddings() ? embed : Var.param(t.get("lm_head.weight"), "lm_head.weight");
        return new LlamaModel(cfg, k, embed, layers, norm, head, ignored);
    }

    /**
     * The window every layer applies: Mistral's {@code sliding_window} (null: none). Qwen2 windows only the layers from
     * {@code max_window_layers} on, which ModelConfig does not read yet, so a Qwen2 window is refused rather than misapplied.
     */
    static int slidingWindow(ModelConfig cfg) {
        Integer w = cfg.slidingWindow();
        if (w == null) return 0;
        if (!cfg.architecture().equals("MistralForCausalLM"))
            throw new IllegalArgumentException(cfg.architecture() + " with use_sliding_window is not supported yet (windows on the layers from max_window_layers)");
        if (w < 1) throw new IllegalArgumentException("config.json: sliding_window must be >= 1, got " + w);
        return w;
    }

    // ------------------------------------------------------------------ structure

    public ModelConfig config() { return config; }

    public Kernels kernels() { return k; }

    public int numLayers() { return layers.size(); }

    public DecoderLayer layer(int i) { return layers.get(i); }

    /** The rotary tables every layer uses. */
    public Rotary rotary() { return rotary; }

    /** Checkpoint tensors the model did not use (for a warning). */
    public List<String> ignoredTensors() { return ignored; }

    /** Embedding table [V, C]. */
    public Tensor embedding() { return embed.value(); }

    /** Output head weight [V, C] (the embedding table itself when tied). */
    public Tensor lmHead() { return lmHead.value(); }

    /** Final RMSNorm weight [C]. */
    public Tensor finalNorm() { return norm.value(); }

    /** Every parameter in Hugging Face names; a tied head appears once, as model.embed_tokens.weight. */
    public Map<String, Var> parameters() {
        return parameters(false);
    }

    private Map<String, Var> parameters(boolean heldOnly) {
        Map<String, Var> m = new LinkedHashMap<>();
        m.put("model.embed_tokens.weight", embed);
        for (DecoderLayer l : layers) l.collect(m, heldOnly);
        m.put("model.norm.weight", norm);
        if (lmHead != embed) m.put("lm_head.weight", lmHead);
        return Collections.unmodifiableMap(m);
    }

    /** Parameter values in Hugging Face names, ready to be saved as a checkpoint. */
    public Map<String, Tensor> namedTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        parameters().forEach((n, v) -> m.put(n, v.value()));
        return m;
    }

    /**
     * The parameter tensors the model references now, in Hugging Face names: {@link #namedTensors()} without the
     * weights that run compressed-only (which that would decompress). What a device backend may keep resident.
     */
    public Map<String, Tensor> heldTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        parameters(true).forEach((n, v) -> m.put(n, v.value()));
        return m;
    }

    /** Number of parameters (a tied head counted once). */
    public long parameterCount() {
        long n = embed.value().numel() + norm.value().numel() + (lmHead != embed ? lmHead.value().numel() : 0);
        for (DecoderLayer l : layers) n += l.parameterCount();
        return n;
    }

    /** Freezes or unfreezes every parameter (head masks are separate). */
    public void setTrainable(boolean trainable) {
        for (Var v : parameters().values()) v.setFrozen(!trainable);
    }

    /** Forgets every parameter's and head mask's gradient. */
    public void zeroGrad() {
        for (Var v : parameters().values()) v.zeroGrad();
        for (DecoderLayer l : layers) if (l.headMask() != null) l.headMask().zeroGrad();
    }

    /** Adds (or removes) a head mask of ones to every layer; trainable masks collect head importance gradients. */
    public void setHeadMasks(boolean on, boolean trainable) {
        for (DecoderLayer l : layers) l.setHeadMask(on, trainable);
    }

    /** Sets the same activation edits on every layer (null: none); an intervention gets the layer index. */
    public void setIntervention(Intervention i) {
        for (DecoderLayer l : layers) l.setIntervention(i);
    }

    // ------------------------------------------------------------------ forward on a tape (training and inference)

    /** Token embeddings [B, T, C]; every row must have the same length. */
    public Var embed(Tape tape, int[][] tokens) {
        int b = tokens.length, t = checkRect(tokens);
        int[] flat = new int[b * t];
        for (int i = 0; i < b; i++) System.arraycopy(tokens[i], 0, flat, i * t, t);
        return tape.reshape(tape.embedding(embed, flat), b, t, config.hiddenSize());
    }

    /** Layer i on hidden states [B, T, C] at positions startPos.. (no cache). */
    public Var forwardLayer(Tape tape, int i, Var hidden, int startPos, Observer obs) {
        return layers.get(i).forward(tape, hidden, startPos, rotary, null, obs, eps);
    }

    /** Final norm and output head: hidden [B, T, C] -> logits [B, T, V]. */
    public Var head(Tape tape, Var hidden) {
        return tape.linear(tape.rmsNorm(hidden, norm, eps), lmHead, null);
    }

    /** Logits [B, T, V] of every position, full causal attention over the given tokens. */
    public Var logits(Tape tape, int[][] tokens, Observer obs) {
        Var h = embed(tape, tokens);
        for (int i = 0; i < layers.size(); i++) h = forwardLayer(tape, i, h, 0, obs);
        return head(tape, h);
    }

    /** Target id that the loss skips (PyTorch's ignore_index default); token ids are never negative. */
    private static final int IGNORE = -100;

    /**
     * Mean next-token cross-entropy: position t predicts token t+1 of each row (T-1 predictions per row), the
     * loss Hugging Face computes with {@code labels = input_ids}.
     */
    public Var loss(Tape tape, int[][] tokens, Observer obs) {
        int b = tokens.length, t = checkRect(tokens);
        if (t < 2) throw new IllegalArgumentException("a next-token loss needs sequences of at least 2 tokens, got " + t);
        Var logits = logits(tape, tokens, obs);                                          // [B, T, V]
        // every position's logits, the last of each row ignored (nothing follows it): the same rows, in the same order,
        // as narrowing to T-1 positions, without copying the logits or their gradient
        Var pred = tape.reshape(logits, b * t, config.vocabSize());
        int[] targets = new int[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(tokens[i], 1, targets, i * t, t - 1);
            targets[i * t + t - 1] = IGNORE;
        }
        return tape.crossEntropy(pred, targets, IGNORE);
    }

    // ------------------------------------------------------------------ inference (Tensor in, Tensor out)

    /** Token embeddings [B, T, C]. */
    public Tensor embed(int[][] tokens) {
        return embed(Tape.inference(k), tokens).value();
    }

    /** Layer i on hidden [B, T, C] at positions startPos.. -> [B, T, C], calling {@code obs} (may be null). */
    public Tensor forwardLayer(int i, Tensor hidden, int startPos, Observer obs) {
        return forwardLayer(Tape.inference(k), i, Var.constant(hidden), startPos, obs == null ? Observer.NONE : obs).value();
    }

    /** Final norm and lm_head: [B, T, C] -> logits [B, T, V]. */
    public Tensor head(Tensor hidden) {
        return head(Tape.inference(k), Var.constant(hidden)).value();
    }

    /** Logits [B, T, V] of every position. */
    public Tensor logits(int[][] tokens) {
        return logits(Tape.inference(k), tokens, Observer.NONE).value();
    }

    /** Logits [B, T, V], calling {@code obs} at every observation point. */
    public Tensor logits(int[][] tokens, Observer obs) {
        return logits(Tape.inference(k), tokens, obs).value();
    }

    /** A KV cache for this model. */
    public KvCache newCache(int batch, int capacity) {
        return new KvCache(this, batch, capacity);
    }

    /**
     * Runs new tokens [B, T] after the cache's positions (a prefill when T > 1, a decode step when T = 1), appends
     * their keys and values, and returns their logits [B, T, V].
     */
    public Tensor forward(int[][] tokens, KvCache cache) {
        return forward(tokens, cache, Observer.NONE, false);
    }

    /** Like {@link #forward(int[][], KvCache)}; with {@code lastOnly} only the last position's logits [B, 1, V]. */
    public Tensor forward(int[][] tokens, KvCache cache, Observer obs, boolean lastOnly) {
        Tape tape = Tape.inference(k);
        int t = checkRect(tokens);
        if (tokens.length != cache.batch()) throw new IllegalArgumentException("cache holds batch " + cache.batch() + " but " + tokens.length + " rows were given");
        int start = cache.length();
        Var h = embed(tape, tokens);
        for (int i = 0; i < layers.size(); i++) h = layers.get(i).forward(tape, h, start, rotary, cache, obs, eps);
        cache.advance(t);
        if (lastOnly && t > 1) h = Var.constant(h.value().narrow(1, t - 1, 1));
        return head(tape, h).value();
    }

    private static int checkRect(int[][] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("no token rows given");
        int t = tokens[0].length;
        if (t == 0) throw new IllegalArgumentException("empty token row");
        for (int[] r : tokens)
            if (r.length != t) throw new IllegalArgumentException("token rows differ in length: " + t + " and " + r.length);
        return t;
    }
}
