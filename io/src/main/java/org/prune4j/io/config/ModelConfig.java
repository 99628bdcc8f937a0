package org.prune4j.io.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The immutable shape and hyper-parameters of a Llama-family model, read from Hugging Face's {@code config.json}
 * ({@code LlamaForCausalLM}, {@code MistralForCausalLM}, {@code Qwen2ForCausalLM}) with Hugging Face's defaults,
 * and written back so Hugging Face reads it again (unknown keys of the source are kept); {@link ConfigJson} does
 * both. Every instance is valid: the compact constructor checks what the model code relies on.
 *
 * <p>Structured pruning makes layers differ: heads, key/value heads and MLP width are set per layer
 * ({@link #layers()}). They are stored in config.json under {@value #PER_LAYER_KEY}: a list with one object per layer
 * holding {@code num_attention_heads}, {@code num_key_value_heads} and {@code intermediate_size}, written only when
 * layers differ (the global keys then hold the largest value). Hugging Face ignores that key, so such a checkpoint
 * loads in prune4j but not in {@code transformers}; uniform pruning keeps plain global keys that Hugging Face reads.
 * Derive pruned configs with {@link #toBuilder()} or {@link #withLayer}.
 *
 * @param source the file this config was read from, or null when built in memory (messages only)
 * @param raw the config.json object it was read from (unmodifiable; empty when built in memory); not part of equality
 * @param headDim the size of one attention head: head_dim, or hidden/heads when {@code headDimExplicit} is false
 */
public record ModelConfig(Path source, Map<String, Object> raw, String architecture, String modelType, String hiddenAct, String torchDtype,
                          int hiddenSize, int vocabSize, int maxPositionEmbeddings, int headDim, boolean headDimExplicit, List<LayerShape> layers,
                          boolean tieWordEmbeddings, boolean attentionBias, boolean outputBias, boolean mlpBias, double rmsNormEps,
                          double ropeTheta, RopeScaling ropeScaling, Integer bosTokenId, int[] eosTokenIds, Integer slidingWindow) {
    /** The architectures prune4j runs. */
    public static final List<String> ARCHITECTURES = List.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM");
    /** The config.json key holding per-layer overrides (see the class comment). */
    public static final String PER_LAYER_KEY = "prune4j_layers";
    /** Name of the config file in a model folder. */
    public static final String FILE = "config.json";
    /** Largest config.json read (real ones are a few KB), so a hostile file cannot exhaust memory. */
    public static final long MAX_FILE_SIZE = 16L << 20;
    /** Sanity bound on num_hidden_layers, so a hostile config cannot make per-layer tables exhaust memory. */
    public static final int MAX_LAYERS = 100_000;

    static final Map<String, String> MODEL_TYPES = Map.of("LlamaForCausalLM", "llama", "MistralForCausalLM", "mistral", "Qwen2ForCausalLM", "qwen2");

    /**
     * Validates (throwing {@link InvalidConfig}, unchecked: a record constructor cannot declare ConfigException): a supported architecture; positive sizes; heads dividing hidden (without head_dim) or one head_dim;
     * kv heads dividing heads in every layer; an even head size (rotary); a representable RoPE scaling.
     */
    public ModelConfig {
        raw = raw == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(raw));
        layers = List.copyOf(layers);
        eosTokenIds = eosTokenIds.clone();
        if (architecture == null || !ARCHITECTURES.contains(architecture))
            throw error(source, "architectures", "\"" + architecture + "\" is not supported (supported: " + ARCHITECTURES + ")");
        if (hiddenSize <= 0) throw error(source, "hidden_size", "must be a positive integer, found " + hiddenSize);
        if (layers.isEmpty()) throw error(source, "num_hidden_layers", "must be a positive integer, found 0");
        if (vocabSize <= 0) throw error(source, "vocab_size", "must be a positive integer, found " + vocabSize);
        if (maxPositionEmbeddings <= 0) throw error(source, "max_position_embeddings", "must be a positive integer, found " + maxPositionEmbeddings);
        if (!(rmsNormEps > 0)) throw error(source, "rms_norm_eps", "must be positive, found " + rmsNormEps);
        if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) throw error(source, "rope_theta", "must be positive, found " + ropeTheta);
        if (slidingWindow != null && slidingWindow <= 0) throw error(source, "sliding_window", "must be a positive integer, found " + slidingWindow);
        boolean uniform = uniform(layers);
        for (int i = 0; i < layers.size(); i++) {
            String at = uniform ? "" : PER_LAYER_KEY + "[" + i + "].";
            LayerShape s = layers.get(i);
            if (s.numHeads() <= 0) throw error(source, at + "num_attention_heads", "must be a positive integer, found " + s.numHeads());
            if (s.numKvHeads() <= 0) throw error(source, at + "num_key_value_heads", "must be a positive integer, found " + s.numKvHeads());
            if (s.intermediateSize() < 0) throw error(source, at + "intermediate_size", "must be a non-negative integer, found " + s.intermediateSize());
        }
        int heads0 = layers.getFirst().numHeads();
        if (headDimExplicit) {
            if (headDim <= 0) throw error(source, "head_dim", "must be a positive integer, found " + headDim);
        } else {
            if (!uniform(layers, LayerShape::numHeads)) throw error(source, "head_dim", "is required when layers have different numbers of heads");
            if (hiddenSize % heads0 != 0)
                throw error(source, "num_attention_heads", "= " + heads0 + " does not divide hidden_size = " + hiddenSize
                        + " and head_dim is absent (supported: set head_dim, or heads dividing hidden_size)");
            headDim = hiddenSize / heads0;
        }
        for (int i = 0; i < layers.size(); i++) {
            String at = uniform ? "" : PER_LAYER_KEY + "[" + i + "].";
            LayerShape s = layers.get(i);
            if (s.numHeads() % s.numKvHeads() != 0)
                throw error(source, at + "num_key_value_heads", "= " + s.numKvHeads() + " does not divide num_attention_heads = " + s.numHeads()
                        + " (supported: key/value heads shared by equal groups of query heads)");
        }
        if (headDim % 2 != 0) throw error(source, "head_dim", "= " + headDim + " must be even for rotary embeddings");
        if (ropeScaling != null) {
            if (!ropeScaling.type().equals("llama3") && !ropeScaling.type().equals("linear"))
                throw error(source, "rope_scaling", "type \"" + ropeScaling.type() + "\" is not supported (supported: " + RopeScaling.SUPPORTED + ")");
            if (!(ropeScaling.factor() > 0)) throw error(source, "rope_scaling.factor", "must be positive, found " + ropeScaling.factor());
            if (ropeScaling.type().equals("llama3") && ropeScaling.originalMaxPositionEmbeddings() <= 0)
                throw error(source, "rope_scaling.original_max_position_embeddings", "must be a positive integer");
        }
        if (architecture.equals("Qwen2ForCausalLM") && !attentionBias)
            throw error(source, "architectures", "Qwen2ForCausalLM always has q/k/v bias; attentionBias(false) is not representable");
    }

    static InvalidConfig error(Path source, String key, String what) {
        return new InvalidConfig((source == null ? FILE : source.toString()) + ": key '" + key + "' " + what, key);
    }

    private static boolean uniform(List<LayerShape> layers) {
        for (LayerShape s : layers) if (!s.equals(layers.getFirst())) return false;
        return true;
    }

    private static boolean uniform(List<LayerShape> layers, java.util.function.ToIntFunction<LayerShape> f) {
        for (LayerShape s : layers) if (f.applyAsInt(s) != f.applyAsInt(layers.getFirst())) return false;
        return true;
    }

    // ------------------------------------------------------------------ reading and writing (ConfigJson)

    /** Reads {@code config.json}, or the one inside a model folder. */
    public static ModelConfig read(Path configJsonOrModelDir) throws IOException {
        return ConfigJson.read(configJsonOrModelDir);
    }

    /** Builds a config from an already parsed config.json object; {@code file} is only used in messages. */
    public static ModelConfig parse(Map<String, Object> json, Path file) throws ConfigException {
        return ConfigJson.parse(json, file);
    }

    /**
     * The config.json object: the source's keys (unknown ones kept, in order) with every known key set from this
     * config, plus {@value #PER_LAYER_KEY} when layers differ.
     */
    public Map<String, Object> toJson() {
        return ConfigJson.toJson(this);
    }

    /** Writes config.json atomically ({@code path} is the file, or a folder to write config.json into). */
    public void write(Path path) throws IOException {
        ConfigJson.write(this, path);
    }

    // ------------------------------------------------------------------ accessors

    /** Number of decoder layers. */
    public int numLayers() { return layers.size(); }
    /** Query heads of {@code layer}. */
    public int numHeads(int layer) { return layer(layer).numHeads(); }
    /** Key/value heads of {@code layer} (each shared by numHeads/numKvHeads consecutive query heads). */
    public int numKvHeads(int layer) { return layer(layer).numKvHeads(); }
    /** MLP width (gate/up output) of {@code layer}. */
    public int intermediateSize(int layer) { return layer(layer).intermediateSize(); }
    /** Query heads per key/value head in {@code layer}. */
    public int kvGroups(int layer) { return numHeads(layer) / numKvHeads(layer); }
    /** True when some layer differs from another in heads, kv heads or MLP width. */
    public boolean hasPerLayerShapes() { return !uniform(layers); }
    /** End-of-sequence ids (eos_token_id may be one id or a list); empty when none. A copy. */
    @Override public int[] eosTokenIds() { return eosTokenIds.clone(); }

    /** The shapes of {@code layer}. */
    public LayerShape layer(int layer) {
        if (layer < 0 || layer >= layers.size()) throw new IndexOutOfBoundsException("layer " + layer + " of a model with " + layers.size() + " layers");
        return layers.get(layer);
    }

    /** The largest of {@code f} over the layers (what the global config.json keys hold when layers differ). */
    int max(java.util.function.ToIntFunction<LayerShape> f) {
        int m = f.applyAsInt(layers.getFirst());
        for (LayerShape s : layers) m = Math.max(m, f.applyAsInt(s));
        return m;
    }

    /**
     * RoPE inverse frequencies {@code 1 / theta^(2i / headDim)} for {@code i < headDim/2}, rescaled by
     * {@link #ropeScaling()} (llama3 or linear), as Hugging Face's rotary embedding computes them (in double here;
     * HF computes in float32, a relative difference below 1e-7).
     */
    public double[] ropeInvFreq() {
        int half = headDim / 2;
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) inv[i] = 1.0 / Math.pow(ropeTheta, (2.0 * i) / headDim);
        if (ropeScaling != null) ropeScaling.apply(inv);
        return inv;
    }

    /** A copy with {@code layer}'s heads, kv heads and MLP width replaced (validated). */
    public ModelConfig withLayer(int layer, int numHeads, int numKvHeads, int intermediateSize) throws ConfigException {
        return toBuilder().layer(layer, numHeads, numKvHeads, intermediateSize).build();
    }

    @Override
    public String toString() {
        LayerShape s = layers.getFirst();
        StringBuilder sb = new StringBuilder(architecture).append(" hidden=").append(hiddenSize).append(" layers=").append(numLayers())
                .append(" heads=").append(s.numHeads()).append(" kv=").append(s.numKvHeads()).append(" headDim=").append(headDim)
                .append(" ffn=").append(s.intermediateSize()).append(" vocab=").append(vocabSize);
        if (hasPerLayerShapes()) sb.append(" (per-layer shapes differ)");
        return sb.toString();
    }

    /** Equal when they describe the same model: where a config came from ({@code source}, {@code raw}) does not count. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ModelConfig c && Objects.equals(architecture, c.architecture) && Objects.equals(modelType, c.modelType)
                && Objects.equals(hiddenAct, c.hiddenAct) && Objects.equals(torchDtype, c.torchDtype) && hiddenSize == c.hiddenSize
                && vocabSize == c.vocabSize && maxPositionEmbeddings == c.maxPositionEmbeddings && headDim == c.headDim
                && headDimExplicit == c.headDimExplicit && layers.equals(c.layers) && tieWordEmbeddings == c.tieWordEmbeddings
                && attentionBias == c.attentionBias && outputBias == c.outputBias && mlpBias == c.mlpBias
                && Double.compare(rmsNormEps, c.rmsNormEps) == 0 && Double.compare(ropeTheta, c.ropeTheta) == 0
                && Objects.equals(ropeScaling, c.ropeScaling) && Objects.equals(bosTokenId, c.bosTokenId)
                && Arrays.equals(eosTokenIds, c.eosTokenIds) && Objects.equals(slidingWindow, c.slidingWindow);
    }

    @Override
    public int hashCode() {
        return Objects.hash(architecture, hiddenSize, vocabSize, headDim, layers, Arrays.hashCode(eosTokenIds));
    }

    // ------------------------------------------------------------------ builder

    /** A builder starting from this config (keeps the source's unknown keys for {@link #write}). */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** A fresh builder for a config made in memory (tests, synthetic models); set every size before build(). */
    public static Builder builder(String architecture) {
        return new Builder(architecture);
    }

    /** Mutable twin of {@link ModelConfig} for deriving pruned configs; {@link #build()} validates. */
    public static final class Builder {
        private Path source;
        private Map<String, Object> raw = new LinkedHashMap<>();
        private String architecture, modelType, hiddenAct = "silu", torchDtype;
        private int hiddenSize, vocabSize, maxPositionEmbeddings = 2048;
        private Integer headDim;
        private Integer keptHeadDim; // the head size of the config this builder came from
        private List<LayerShape> layers = new ArrayList<>();
        private boolean tieWordEmbeddings, attentionBias, outputBias, mlpBias;
        private double rmsNormEps = 1e-6, ropeTheta = 10000.0;
        private RopeScaling ropeScaling;
        private Integer bosTokenId, slidingWindow;
        private int[] eosTokenIds = new int[0];

        private Builder(String architecture) {
            this.architecture = architecture;
            this.modelType = MODEL_TYPES.get(architecture);
            this.attentionBias = "Qwen2ForCausalLM".equals(architecture);
            if (!"Qwen2ForCausalLM".equals(architecture)) {
                bosTokenId = 1;
                eosTokenIds = new int[] {2};
            }
        }

        private Builder(ModelConfig c) {
            source = c.source;
            raw = new LinkedHashMap<>(c.raw);
            architecture = c.architecture;
            modelType = c.modelType;
            hiddenAct = c.hiddenAct;
            torchDtype = c.torchDtype;
            hiddenSize = c.hiddenSize;
            vocabSize = c.vocabSize;
            maxPositionEmbeddings = c.maxPositionEmbeddings;
            headDim = c.headDimExplicit ? c.headDim : null;
            keptHeadDim = c.headDim;
            layers = new ArrayList<>(c.layers);
            tieWordEmbeddings = c.tieWordEmbeddings;
            attentionBias = c.attentionBias;
            outputBias = c.outputBias;
            mlpBias = c.mlpBias;
            rmsNormEps = c.rmsNormEps;
            ropeTheta = c.ropeTheta;
            ropeScaling = c.ropeScaling;
            bosTokenId = c.bosTokenId;
            eosTokenIds = c.eosTokenIds;
            slidingWindow = c.slidingWindow;
        }

        /** Where the values came from (messages) and the source's keys, kept by {@link ModelConfig#write}. */
        Builder origin(Path source, Map<String, Object> raw) { this.source = source; this.raw = new LinkedHashMap<>(raw); return this; }
        Builder modelType(String v) { modelType = v; return this; }
        Builder hiddenAct(String v) { hiddenAct = v; return this; }
        Builder outputBias(boolean v) { outputBias = v; return this; }
        Builder layers(List<LayerShape> v) { layers = new ArrayList<>(v); return this; }

        public Builder hiddenSize(int v) { hiddenSize = v; return this; }
        public Builder vocabSize(int v) { vocabSize = v; return this; }
        /**
         * Explicit head size; null restores the default hidden/heads. Without a call, a builder from
         * {@link ModelConfig#toBuilder()} keeps the source's head size when heads change.
         */
        public Builder headDim(Integer v) { headDim = v; keptHeadDim = null; return this; }
        public Builder maxPositionEmbeddings(int v) { maxPositionEmbeddings = v; return this; }
        public Builder rmsNormEps(double v) { rmsNormEps = v; return this; }
        public Builder ropeTheta(double v) { ropeTheta = v; return this; }
        public Builder ropeScaling(RopeScaling v) { ropeScaling = v; return this; }
        public Builder tieWordEmbeddings(boolean v) { tieWordEmbeddings = v; return this; }
        /** q/k/v bias (and, for Llama, o_proj bias too). */
        public Builder attentionBias(boolean v) { attentionBias = v; outputBias = v && "LlamaForCausalLM".equals(architecture); return this; }
        public Builder mlpBias(boolean v) { mlpBias = v; return this; }
        public Builder bosTokenId(Integer v) { bosTokenId = v; return this; }
        public Builder eosTokenIds(int... v) { eosTokenIds = v.clone(); return this; }
        public Builder torchDtype(String v) { torchDtype = v; return this; }
        public Builder slidingWindow(Integer v) { slidingWindow = v; return this; }

        /** Number of layers; new layers copy the last layer's shapes (or take the global values set later). */
        public Builder numLayers(int n) {
            if (n < 0) throw new IllegalArgumentException("numLayers must be >= 0, got " + n);
            LayerShape last = layers.isEmpty() ? new LayerShape(0, 0, 0) : layers.getLast();
            while (layers.size() > n) layers.removeLast();
            while (layers.size() < n) layers.add(last);
            return this;
        }

        /** Query heads of every layer. */
        public Builder numHeads(int v) { layers.replaceAll(s -> new LayerShape(v, s.numKvHeads(), s.intermediateSize())); return this; }
        /** Key/value heads of every layer. */
        public Builder numKvHeads(int v) { layers.replaceAll(s -> new LayerShape(s.numHeads(), v, s.intermediateSize())); return this; }
        /** MLP width of every layer. */
        public Builder intermediateSize(int v) { layers.replaceAll(s -> new LayerShape(s.numHeads(), s.numKvHeads(), v)); return this; }
        public Builder numHeads(int layer, int v) { LayerShape s = layers.get(index(layer)); return layer(layer, v, s.numKvHeads(), s.intermediateSize()); }
        public Builder numKvHeads(int layer, int v) { LayerShape s = layers.get(index(layer)); return layer(layer, s.numHeads(), v, s.intermediateSize()); }
        public Builder intermediateSize(int layer, int v) { LayerShape s = layers.get(index(layer)); return layer(layer, s.numHeads(), s.numKvHeads(), v); }

        /** Sets all three per-layer shapes of {@code layer}. */
        public Builder layer(int layer, int numHeads, int numKvHeads, int intermediateSize) {
            layers.set(index(layer), new LayerShape(numHeads, numKvHeads, intermediateSize));
            return this;
        }

        /** Keeps only the listed layers, in the order given (depth pruning). */
        public Builder keepLayers(int... keep) {
            List<LayerShape> kept = new ArrayList<>();
            for (int l : keep) kept.add(layers.get(index(l)));
            layers = kept;
            return this;
        }

        private int index(int layer) {
            if (layer < 0 || layer >= layers.size()) throw new IndexOutOfBoundsException("layer " + layer + " of " + layers.size() + " layers");
            return layer;
        }

        /** Validates and builds (see the {@link ModelConfig} constructor); pruning heads keeps the head size. */
        public ModelConfig build() throws ConfigException {
            Integer hd = headDim;
            if (hd == null && keptHeadDim != null && !layers.isEmpty()) {
                int h0 = layers.getFirst().numHeads();
                boolean sameHeads = layers.stream().allMatch(s -> s.numHeads() == h0);
                if (!sameHeads || h0 <= 0 || hiddenSize % h0 != 0 || hiddenSize / h0 != keptHeadDim) hd = keptHeadDim;
            }
            try {
                return new ModelConfig(source, raw, architecture, modelType, hiddenAct, torchDtype, hiddenSize, vocabSize, maxPositionEmbeddings,
                        hd != null ? hd : 0, hd != null, layers, tieWordEmbeddings, attentionBias, outputBias, mlpBias, rmsNormEps, ropeTheta,
                        ropeScaling, bosTokenId, eosTokenIds, slidingWindow);
            } catch (InvalidConfig e) {
                throw e.checked();
            }
        }
    }
}
