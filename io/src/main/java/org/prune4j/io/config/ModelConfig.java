package org.prune4j.io.config;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.json.Json;
import org.prune4j.io.json.JsonException;

/**
 * The immutable shape and hyper-parameters of a Llama-family model, read from Hugging Face's {@code config.json}
 * ({@code LlamaForCausalLM}, {@code MistralForCausalLM}, {@code Qwen2ForCausalLM}) with Hugging Face's defaults,
 * and written back so Hugging Face reads it again (unknown keys of the source are kept).
 *
 * <p>Structured pruning makes layers differ: heads, key/value heads and MLP width may be set per layer. They are
 * stored in config.json under {@value #PER_LAYER_KEY}: a list with one object per layer holding
 * {@code num_attention_heads}, {@code num_key_value_heads} and {@code intermediate_size}, written only when layers
 * differ (the global keys then hold the largest value). Hugging Face ignores that key, so such a checkpoint loads in
 * prune4j but not in {@code transformers}; uniform pruning keeps plain global keys that Hugging Face reads.
 * Derive pruned configs with {@link #toBuilder()} or {@link #withLayer}.
 */
public final class ModelConfig {
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

    private static final Map<String, String> MODEL_TYPES = Map.of(
            "LlamaForCausalLM", "llama", "MistralForCausalLM", "mistral", "Qwen2ForCausalLM", "qwen2");

    private final Path source;
    private final Map<String, Object> raw;
    private final String architecture, modelType, hiddenAct, torchDtype;
    private final int hiddenSize, numLayers, headDim, vocabSize, maxPositionEmbeddings;
    private final int[] heads, kvHeads, intermediate; // per layer
    private final boolean headDimExplicit, tieWordEmbeddings, attentionBias, outputBias, mlpBias;
    private final double rmsNormEps, ropeTheta;
    private final RopeScaling ropeScaling;
    private final Integer bosTokenId, slidingWindow;
    private final int[] eosTokenIds;

    private ModelConfig(Builder b) {
        this.source = b.source;
        this.raw = Collections.unmodifiableMap(new LinkedHashMap<>(b.raw));
        this.architecture = b.architecture;
        this.modelType = b.modelType;
        this.hiddenAct = b.hiddenAct;
        this.torchDtype = b.torchDtype;
        this.hiddenSize = b.hiddenSize;
        this.numLayers = b.numLayers;
        this.headDimExplicit = b.headDim != null;
        this.headDim = b.headDim != null ? b.headDim : b.hiddenSize / b.heads[0];
        this.vocabSize = b.vocabSize;
        this.maxPositionEmbeddings = b.maxPositionEmbeddings;
        this.heads = b.heads.clone();
        this.kvHeads = b.kvHeads.clone();
        this.intermediate = b.intermediate.clone();
        this.tieWordEmbeddings = b.tieWordEmbeddings;
        this.attentionBias = b.attentionBias;
        this.outputBias = b.outputBias;
        this.mlpBias = b.mlpBias;
        this.rmsNormEps = b.rmsNormEps;
        this.ropeTheta = b.ropeTheta;
        this.ropeScaling = b.ropeScaling;
        this.bosTokenId = b.bosTokenId;
        this.eosTokenIds = b.eosTokenIds.clone();
        this.slidingWindow = b.slidingWindow;
    }

    // ------------------------------------------------------------------ reading

    /** Reads {@code config.json}, or the one inside a model folder. */
    public static ModelConfig read(Path configJsonOrModelDir) throws IOException {
        Path file = Files.isDirectory(configJsonOrModelDir) ? configJsonOrModelDir.resolve(FILE) : configJsonOrModelDir;
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
        if (Files.size(file) > MAX_FILE_SIZE)
            throw new ConfigException(file + ": " + Files.size(file) + " bytes is far larger than any model config (limit " + MAX_FILE_SIZE + ")", null);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new ConfigException(file + ": not valid UTF-8", null);
        }
        Map<String, Object> json;
        try {
            json = Json.parseObject(text, false);
        } catch (JsonException e) {
            throw new ConfigException(file + ": not valid JSON: " + e.getMessage(), null);
        }
        return parse(json, file);
    }

    /** Builds a config from an already parsed config.json object; {@code file} is only used in messages. */
    public static ModelConfig parse(Map<String, Object> json, Path file) throws ConfigException {
        Reader r = new Reader(json, file);
        Builder b = new Builder();
        b.source = file;
        b.raw = new LinkedHashMap<>(json);

        String arch = null;
        Object archs = json.get("architectures");
        if (archs != null) {
            if (!(archs instanceof List<?> l) || l.isEmpty() || !(l.getFirst() instanceof String a))
                throw r.error("architectures", "must be a non-empty list of strings, found " + Json.typeName(archs));
            arch = a;
        }
        String modelType = r.string("model_type", null);
        if (arch == null && modelType != null) {
            for (Map.Entry<String, String> e : MODEL_TYPES.entrySet()) if (e.getValue().equals(modelType)) arch = e.getKey();
            if (arch == null)
                throw r.error("model_type", "\"" + modelType + "\" is not supported and no architectures key names one (supported: " + ARCHITECTURES + ")");
        }
        if (arch == null) throw r.error("architectures", "is missing (and so is model_type); supported: " + ARCHITECTURES);
        if (!ARCHITECTURES.contains(arch)) throw r.error("architectures", "\"" + arch + "\" is not supported (supported: " + ARCHITECTURES + ")");
        b.architecture = arch;
        b.modelType = modelType != null ? modelType : MODEL_TYPES.get(arch);
        boolean llama = arch.equals("LlamaForCausalLM"), mistral = arch.equals("MistralForCausalLM"), qwen2 = arch.equals("Qwen2ForCausalLM");

        b.hiddenSize = r.requiredInt("hidden_size");
        int inter = r.requiredInt("intermediate_size");
        b.numLayers = r.requiredInt("num_hidden_layers");
        if (b.numLayers > MAX_LAYERS) throw r.error("num_hidden_layers", "= " + b.numLayers + " is implausible (more than " + MAX_LAYERS + ")");
        int nHeads = r.requiredInt("num_attention_heads");
        int nKv = r.optionalInt("num_key_value_heads", nHeads);
        b.vocabSize = r.requiredInt("vocab_size");
        b.headDim = r.optionalInt("head_dim", null);
        b.heads = filled(b.numLayers, nHeads);
        b.kvHeads = filled(b.numLayers, nKv);
        b.intermediate = filled(b.numLayers, inter);

        b.hiddenAct = r.string("hidden_act", "silu");
        if (!b.hiddenAct.equals("silu") && !b.hiddenAct.equals("swish"))
            throw r.error("hidden_act", "\"" + b.hiddenAct + "\" is not supported (supported: silu)");
        b.maxPositionEmbeddings = r.optionalInt("max_position_embeddings", llama ? 2048 : mistral ? 4096 * 32 : 32768);
        b.rmsNormEps = r.positiveDouble("rms_norm_eps", 1e-6);
        b.tieWordEmbeddings = r.bool("tie_word_embeddings", false);
        if (llama) {
            b.attentionBias = r.bool("attention_bias", false);
            b.outputBias = b.attentionBias;
            b.mlpBias = r.bool("mlp_bias", false);
        } else {
            b.attentionBias = qwen2; // Qwen2 always has q/k/v bias, Mistral never; neither has o_proj or MLP bias
            b.outputBias = false;
            b.mlpBias = false;
        }
        b.bosTokenId = r.optionalIntAllowNull("bos_token_id", llama || mistral ? 1 : null, true);
        b.eosTokenIds = r.eos(llama || mistral ? new int[] {2} : new int[0]);
        if (json.containsKey("torch_dtype")) b.torchDtype = r.string("torch_dtype", null);
        else b.torchDtype = r.string("dtype", null);
        if (mistral) b.slidingWindow = r.optionalIntAllowNull("sliding_window", 4096, false);
        else if (qwen2 && r.bool("use_sliding_window", false)) b.slidingWindow = r.optionalIntAllowNull("sliding_window", 4096, false);
        else b.slidingWindow = null;

        // RoPE: rope_theta + rope_scaling, or (transformers v5) one rope_parameters object
        Map<String, Object> ropeParams = r.object("rope_parameters");
        double theta = r.positiveDouble("rope_theta", 10000.0);
        if (ropeParams != null && ropeParams.get("rope_theta") != null)
            theta = new Reader(ropeParams, file, "rope_parameters.").positiveDouble("rope_theta", theta);
        b.ropeTheta = theta;
        Map<String, Object> scaling = ropeParams != null ? ropeParams : r.object("rope_scaling");
        b.ropeScaling = scaling == null ? null : ropeScaling(new Reader(scaling, file, (ropeParams != null ? "rope_parameters" : "rope_scaling") + "."));

        Object perLayer = json.get(PER_LAYER_KEY);
        if (perLayer != null) {
            if (!(perLayer instanceof List<?> layers) || layers.size() != b.numLayers)
                throw r.error(PER_LAYER_KEY, "must be a list of " + b.numLayers + " objects (one per layer), found "
                        + (perLayer instanceof List<?> l ? "a list of " + l.size() : Json.typeName(perLayer)));
            for (int i = 0; i < b.numLayers; i++) {
                if (!(layers.get(i) instanceof Map<?, ?> m))
                    throw r.error(PER_LAYER_KEY, "entry " + i + " must be an object, found " + Json.typeName(layers.get(i)));
                @SuppressWarnings("unchecked") Reader lr = new Reader((Map<String, Object>) m, file, PER_LAYER_KEY + "[" + i + "].");
                b.heads[i] = lr.optionalInt("num_attention_heads", nHeads);
                b.kvHeads[i] = lr.optionalInt("num_key_value_heads", nKv);
                b.intermediate[i] = lr.optionalNonNegativeInt("intermediate_size", inter);
            }
        }
        return b.build();
    }

    private static RopeScaling ropeScaling(Reader r) throws ConfigException {
        String type = r.map.containsKey("rope_type") ? r.string("rope_type", null) : r.string("type", null);
        if (type == null) throw r.error("rope_type", "is missing (supported: " + RopeScaling.SUPPORTED + ")");
        return switch (type) {
            case "default" -> null;
            case "linear" -> RopeScaling.linear(r.requiredPositiveDouble("factor"));
            case "llama3" -> {
                double factor = r.requiredPositiveDouble("factor");
                double low = r.requiredPositiveDouble("low_freq_factor");
                double high = r.requiredPositiveDouble("high_freq_factor");
                int orig = r.requiredInt("original_max_position_embeddings");
                if (!(high > low)) throw r.error("high_freq_factor", "must exceed low_freq_factor (" + high + " <= " + low + ")");
                yield RopeScaling.llama3(factor, low, high, orig);
            }
            default -> throw r.error("rope_type", "\"" + type + "\" is not supported (supported: " + RopeScaling.SUPPORTED
                    + "; dynamic, yarn and longrope change with the sequence length or the attention scale)");
        };
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }

    /** Typed access to one JSON object with messages naming the file and the key. */
    private static final class Reader {
        final Map<String, Object> map;
        final Path file;
        final String prefix;

        Reader(Map<String, Object> map, Path file) {
            this(map, file, "");
        }

        Reader(Map<String, Object> map, Path file, String prefix) {
            this.map = map;
            this.file = file;
            this.prefix = prefix;
        }

        ConfigException error(String key, String what) {
            return new ConfigException((file == null ? FILE : file.toString()) + ": key '" + prefix + key + "' " + what, prefix + key);
        }

        int requiredInt(String key) throws ConfigException {
            if (map.get(key) == null) throw error(key, "is required but missing");
            return optionalInt(key, null);
        }

        Integer optionalInt(String key, Integer dflt) throws ConfigException {
            Integer v = optionalIntAllowNull(key, dflt, false);
            if (v != null && v <= 0) throw error(key, "must be a positive integer, found " + v);
            return v;
        }

        int optionalNonNegativeInt(String key, int dflt) throws ConfigException {
            Integer v = optionalIntAllowNull(key, dflt, false);
            if (v < 0) throw error(key, "must be a non-negative integer, found " + v);
            return v;
        }

        /** An int; null in the file means "absent" (default) unless {@code nullMeansNull}, then null. */
        Integer optionalIntAllowNull(String key, Integer dflt, boolean nullMeansNull) throws ConfigException {
            if (!map.containsKey(key)) return dflt;
            Object v = map.get(key);
            if (v == null) return nullMeansNull ? null : dflt;
            return toInt(key, v);
        }

        int toInt(String key, Object v) throws ConfigException {
            if (v instanceof Long l) {
                if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) throw error(key, "value " + l + " does not fit a 32-bit integer");
                return (int) (long) l;
            }
            if (v instanceof BigInteger bi) throw error(key, "value " + bi + " does not fit a 32-bit integer");
            throw error(key, "must be an integer, found " + Json.typeName(v) + (v instanceof Double d ? " " + d : ""));
        }

        double positiveDouble(String key, double dflt) throws ConfigException {
            Object v = map.get(key);
            if (v == null) return dflt;
            return toPositiveDouble(key, v);
        }

        double requiredPositiveDouble(String key) throws ConfigException {
            Object v = map.get(key);
            if (v == null) throw error(key, "is required but missing");
            return toPositiveDouble(key, v);
        }

        double toPositiveDouble(String key, Object v) throws ConfigException {
            if (!(v instanceof Number n) ) throw error(key, "must be a number, found " + Json.typeName(v));
            double d = n.doubleValue();
            if (!(d > 0) || Double.isInfinite(d)) throw error(key, "must be a positive number, found " + v);
            return d;
        }

        boolean bool(String key, boolean dflt) throws ConfigException {
            Object v = map.get(key);
            if (v == null) return dflt;
            if (!(v instanceof Boolean b)) throw error(key, "must be true or false, found " + Json.typeName(v));
            return b;
        }

        String string(String key, String dflt) throws ConfigException {
            Object v = map.get(key);
            if (v == null) return dflt;
            if (!(v instanceof String s)) throw error(key, "must be a string, found " + Json.typeName(v));
            return s;
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> object(String key) throws ConfigException {
            Object v = map.get(key);
            if (v == null) return null;
            if (!(v instanceof Map<?, ?>)) throw error(key, "must be an object or null, found " + Json.typeName(v));
            return (Map<String, Object>) v;
        }

        int[] eos(int[] dflt) throws ConfigException {
            if (!map.containsKey("eos_token_id")) return dflt;
            Object v = map.get("eos_token_id");
            if (v == null) return new int[0];
            if (v instanceof List<?> l) {
                int[] out = new int[l.size()];
                for (int i = 0; i < out.length; i++) {
                    if (l.get(i) == null) throw error("eos_token_id", "list entry " + i + " is null");
                    out[i] = toInt("eos_token_id", l.get(i));
                }
                return out;
            }
            return new int[] {toInt("eos_token_id", v)};
        }
    }

    // ------------------------------------------------------------------ accessors

    /** The file this config was read from, or null when built in memory. */
    public Path source() { return source; }
    /** {@code architectures[0]}: one of {@link #ARCHITECTURES}. */
    public String architecture() { return architecture; }
    /** {@code model_type} ("llama", "mistral", "qwen2"). */
    public String modelType() { return modelType; }
    /** Width of the residual stream. */
    public int hiddenSize() { return hiddenSize; }
    /** Number of decoder layers. */
    public int numLayers() { return numLayers; }
    /** Query heads of {@code layer}. */
    public int numHeads(int layer) { return heads[check(layer)]; }
    /** Key/value heads of {@code layer} (each shared by numHeads/numKvHeads consecutive query heads). */
    public int numKvHeads(int layer) { return kvHeads[check(layer)]; }
    /** MLP width (gate/up output) of {@code layer}. */
    public int intermediateSize(int layer) { return intermediate[check(layer)]; }
    /** Query heads per key/value head in {@code layer}. */
    public int kvGroups(int layer) { return heads[check(layer)] / kvHeads[layer]; }
    /** True when some layer differs from another in heads, kv heads or MLP width. */
    public boolean hasPerLayerShapes() { return !uniform(heads) || !uniform(kvHeads) || !uniform(intermediate); }
    /** Size of one attention head (head_dim, default hidden/heads). */
    public int headDim() { return headDim; }
    public int vocabSize() { return vocabSize; }
    public double rmsNormEps() { return rmsNormEps; }
    public double ropeTheta() { return ropeTheta; }
    /** The RoPE scaling, or null when frequencies are the default ones. */
    public RopeScaling ropeScaling() { return ropeScaling; }
    public boolean tieWordEmbeddings() { return tieWordEmbeddings; }
    /** True when q_proj, k_proj and v_proj carry a bias (Qwen2 always; Llama with attention_bias). */
    public boolean attentionBias() { return attentionBias; }
    /** True when o_proj carries a bias (Llama with attention_bias only). */
    public boolean outputBias() { return outputBias; }
    /** True when gate/up/down projections carry a bias (Llama with mlp_bias). */
    public boolean mlpBias() { return mlpBias; }
    public int maxPositionEmbeddings() { return maxPositionEmbeddings; }
    /** The BOS token id, or null when the config has none. */
    public Integer bosTokenId() { return bosTokenId; }
    /** End-of-sequence ids (eos_token_id may be one id or a list); empty when none. */
    public int[] eosTokenIds() { return eosTokenIds.clone(); }
    /** {@code torch_dtype} (or {@code dtype}) as written, e.g. "bfloat16"; null when absent. */
    public String torchDtype() { return torchDtype; }
    /** The sliding attention window when the model uses one (Mistral; Qwen2 with use_sliding_window), else null. */
    public Integer slidingWindow() { return slidingWindow; }
    /** {@code hidden_act} ("silu"). */
    public String hiddenAct() { return hiddenAct; }
    /** The config.json object this was read from (unmodifiable; empty when built in memory). */
    public Map<String, Object> raw() { return raw; }

    private int check(int layer) {
        if (layer < 0 || layer >= numLayers) throw new IndexOutOfBoundsException("layer " + layer + " of a model with " + numLayers + " layers");
        return layer;
    }

    private static boolean uniform(int[] a) {
        for (int v : a) if (v != a[0]) return false;
        return true;
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

    /** A builder starting from this config (keeps the source's unknown keys for {@link #write}). */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.source = source;
        b.raw = new LinkedHashMap<>(raw);
        b.architecture = architecture;
        b.modelType = modelType;
        b.hiddenAct = hiddenAct;
        b.torchDtype = torchDtype;
        b.hiddenSize = hiddenSize;
        b.numLayers = numLayers;
        b.headDim = headDimExplicit ? headDim : null;
        b.keptHeadDim = headDim;
        b.vocabSize = vocabSize;
        b.maxPositionEmbeddings = maxPositionEmbeddings;
        b.heads = heads.clone();
        b.kvHeads = kvHeads.clone();
        b.intermediate = intermediate.clone();
        b.tieWordEmbeddings = tieWordEmbeddings;
        b.attentionBias = attentionBias;
        b.outputBias = outputBias;
        b.mlpBias = mlpBias;
        b.rmsNormEps = rmsNormEps;
        b.ropeTheta = ropeTheta;
        b.ropeScaling = ropeScaling;
        b.bosTokenId = bosTokenId;
        b.eosTokenIds = eosTokenIds.clone();
        b.slidingWindow = slidingWindow;
        return b;
    }

    /** A fresh builder for a config made in memory (tests, synthetic models); set every size before build(). */
    public static Builder builder(String architecture) {
        Builder b = new Builder();
        b.architecture = architecture;
        b.modelType = MODEL_TYPES.get(architecture);
        b.attentionBias = "Qwen2ForCausalLM".equals(architecture);
        if (!"Qwen2ForCausalLM".equals(architecture)) {
            b.bosTokenId = 1;
            b.eosTokenIds = new int[] {2};
        }
        return b;
    }

    // ------------------------------------------------------------------ writing

    /**
     * The config.json object: the source's keys (unknown ones kept, in order) with every known key set from this
     * config, plus {@value #PER_LAYER_KEY} when layers differ.
     */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>(raw);
        if (!(m.get("architectures") instanceof List<?> l) || l.isEmpty() || !architecture.equals(l.getFirst()))
            m.put("architectures", List.of(architecture));
        m.put("model_type", modelType);
        m.put("hidden_size", (long) hiddenSize);
        m.put("intermediate_size", (long) max(intermediate));
        m.put("num_hidden_layers", (long) numLayers);
        m.put("num_attention_heads", (long) max(heads));
        m.put("num_key_value_heads", (long) max(kvHeads));
        if (headDimExplicit || raw.containsKey("head_dim") || hiddenSize % max(heads) != 0 || hiddenSize / max(heads) != headDim)
            m.put("head_dim", (long) headDim);
        m.put("vocab_size", (long) vocabSize);
        m.put("max_position_embeddings", (long) maxPositionEmbeddings);
        m.put("rms_norm_eps", rmsNormEps);
        m.put("hidden_act", hiddenAct);
        m.put("tie_word_embeddings", tieWordEmbeddings);
        if (architecture.equals("LlamaForCausalLM")) {
            m.put("attention_bias", attentionBias);
            m.put("mlp_bias", mlpBias);
        }
        if (raw.get("rope_parameters") instanceof Map<?, ?> rp) {
            Map<String, Object> p = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : rp.entrySet()) p.put((String) e.getKey(), e.getValue());
            p.put("rope_theta", ropeTheta);
            putScaling(p, ropeScaling);
            m.put("rope_parameters", p);
        } else {
            m.put("rope_theta", ropeTheta);
            if (ropeScaling == null) {
                if (raw.containsKey("rope_scaling")) m.put("rope_scaling", null);
            } else {
                Map<String, Object> p = new LinkedHashMap<>();
                if (raw.get("rope_scaling") instanceof Map<?, ?> rs)
                    for (Map.Entry<?, ?> e : rs.entrySet()) p.put((String) e.getKey(), e.getValue());
                putScaling(p, ropeScaling);
                m.put("rope_scaling", p);
            }
        }
        m.put("bos_token_id", bosTokenId == null ? null : (Object) (long) bosTokenId);
        if (eosTokenIds.length == 1 && !(raw.get("eos_token_id") instanceof List)) m.put("eos_token_id", (long) eosTokenIds[0]);
        else if (eosTokenIds.length == 0) m.put("eos_token_id", null);
        else {
            List<Object> l = new ArrayList<>();
            for (int e : eosTokenIds) l.add((long) e);
            m.put("eos_token_id", l);
        }
        if (torchDtype != null) m.put(raw.containsKey("dtype") && !raw.containsKey("torch_dtype") ? "dtype" : "torch_dtype", torchDtype);
        if (architecture.equals("MistralForCausalLM") || raw.containsKey("sliding_window"))
            m.put("sliding_window", slidingWindow == null ? null : (Object) (long) slidingWindow);
        if (hasPerLayerShapes()) {
            List<Object> layers = new ArrayList<>();
            for (int i = 0; i < numLayers; i++) {
                Map<String, Object> l = new LinkedHashMap<>();
                l.put("num_attention_heads", (long) heads[i]);
                l.put("num_key_value_heads", (long) kvHeads[i]);
                l.put("intermediate_size", (long) intermediate[i]);
                layers.add(l);
            }
            m.put(PER_LAYER_KEY, layers);
        } else {
            m.remove(PER_LAYER_KEY);
        }
        return m;
    }

    private static void putScaling(Map<String, Object> p, RopeScaling s) {
        if (s == null) {
            p.put("rope_type", "default");
            return;
        }
        p.remove("type");
        p.put("rope_type", s.type());
        p.put("factor", s.factor());
        if (s.type().equals("llama3")) {
            p.put("low_freq_factor", s.lowFreqFactor());
            p.put("high_freq_factor", s.highFreqFactor());
            p.put("original_max_position_embeddings", (long) s.originalMaxPositionEmbeddings());
        }
    }

    private static int max(int[] a) {
        int m = a[0];
        for (int v : a) m = Math.max(m, v);
        return m;
    }

    /** Writes config.json atomically ({@code path} is the file, or a folder to write config.json into). */
    public void write(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve(FILE) : path;
        AtomicFiles.writeString(file, Json.writePretty(toJson(), 2) + "\n");
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(architecture).append(" hidden=").append(hiddenSize).append(" layers=").append(numLayers)
                .append(" heads=").append(heads[0]).append(" kv=").append(kvHeads[0]).append(" headDim=").append(headDim)
                .append(" ffn=").append(intermediate[0]).append(" vocab=").append(vocabSize);
        if (hasPerLayerShapes()) sb.append(" (per-layer shapes differ)");
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelConfig c && toJsonWithoutRaw().equals(c.toJsonWithoutRaw());
    }

    @Override
    public int hashCode() {
        return toJsonWithoutRaw().hashCode();
    }

    private Map<String, Object> toJsonWithoutRaw() {
        ModelConfig bare = toBuilder().clearRaw().buildUnchecked();
        return bare.toJson();
    }

    // ------------------------------------------------------------------ builder

    /** Mutable twin of {@link ModelConfig} for deriving pruned configs; {@link #build()} validates. */
    public static final class Builder {
        private Path source;
        private Map<String, Object> raw = new LinkedHashMap<>();
        private String architecture, modelType, hiddenAct = "silu", torchDtype;
        private int hiddenSize, numLayers, vocabSize, maxPositionEmbeddings = 2048;
        private Integer headDim;
        private Integer keptHeadDim; // the head size of the config this builder came from
        private int[] heads = new int[0], kvHeads = new int[0], intermediate = new int[0];
        private boolean tieWordEmbeddings, attentionBias, outputBias, mlpBias;
        private double rmsNormEps = 1e-6, ropeTheta = 10000.0;
        private RopeScaling ropeScaling;
        private Integer bosTokenId, slidingWindow;
        private int[] eosTokenIds = new int[0];

        private Builder() {}

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
            heads = resize(heads, n);
            kvHeads = resize(kvHeads, n);
            intermediate = resize(intermediate, n);
            numLayers = n;
            return this;
        }

        private static int[] resize(int[] a, int n) {
            int[] out = Arrays.copyOf(a, n);
            for (int i = a.length; i < n; i++) out[i] = a.length > 0 ? a[a.length - 1] : 0;
            return out;
        }

        /** Query heads of every layer. */
        public Builder numHeads(int v) { Arrays.fill(heads, v); return this; }
        /** Key/value heads of every layer. */
        public Builder numKvHeads(int v) { Arrays.fill(kvHeads, v); return this; }
        /** MLP width of every layer. */
        public Builder intermediateSize(int v) { Arrays.fill(intermediate, v); return this; }
        public Builder numHeads(int layer, int v) { heads[layer(layer)] = v; return this; }
        public Builder numKvHeads(int layer, int v) { kvHeads[layer(layer)] = v; return this; }
        public Builder intermediateSize(int layer, int v) { intermediate[layer(layer)] = v; return this; }

        /** Sets all three per-layer shapes of {@code layer}. */
        public Builder layer(int layer, int numHeads, int numKvHeads, int intermediateSize) {
            layer(layer);
            heads[layer] = numHeads;
            kvHeads[layer] = numKvHeads;
            intermediate[layer] = intermediateSize;
            return this;
        }

        /** Keeps only the listed layers, in the order given (depth pruning). */
        public Builder keepLayers(int... layers) {
            int[] h = new int[layers.length], k = new int[layers.length], f = new int[layers.length];
            for (int i = 0; i < layers.length; i++) {
                int l = layer(layers[i]);
                h[i] = heads[l];
                k[i] = kvHeads[l];
                f[i] = intermediate[l];
            }
            heads = h;
            kvHeads = k;
            intermediate = f;
            numLayers = layers.length;
            return this;
        }

        private int layer(int layer) {
            if (layer < 0 || layer >= numLayers) throw new IndexOutOfBoundsException("layer " + layer + " of " + numLayers + " layers");
            return layer;
        }

        private Builder clearRaw() {
            raw = new LinkedHashMap<>();
            source = null;
            return this;
        }

        private ConfigException error(String key, String what) {
            return new ConfigException((source == null ? FILE : source.toString()) + ": key '" + key + "' " + what, key);
        }

        /** Validates and builds: positive sizes, heads dividing hidden (without head_dim), kv heads dividing heads. */
        public ModelConfig build() throws ConfigException {
            if (architecture == null || !ARCHITECTURES.contains(architecture))
                throw error("architectures", "\"" + architecture + "\" is not supported (supported: " + ARCHITECTURES + ")");
            if (hiddenSize <= 0) throw error("hidden_size", "must be a positive integer, found " + hiddenSize);
            if (numLayers <= 0) throw error("num_hidden_layers", "must be a positive integer, found " + numLayers);
            if (vocabSize <= 0) throw error("vocab_size", "must be a positive integer, found " + vocabSize);
            if (maxPositionEmbeddings <= 0) throw error("max_position_embeddings", "must be a positive integer, found " + maxPositionEmbeddings);
            if (!(rmsNormEps > 0)) throw error("rms_norm_eps", "must be positive, found " + rmsNormEps);
            if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) throw error("rope_theta", "must be positive, found " + ropeTheta);
            if (headDim != null && headDim <= 0) throw error("head_dim", "must be a positive integer, found " + headDim);
            if (slidingWindow != null && slidingWindow <= 0) throw error("sliding_window", "must be a positive integer, found " + slidingWindow);
            String where = uniform(heads) && uniform(kvHeads) && uniform(intermediate) ? "" : PER_LAYER_KEY + "[";
            for (int i = 0; i < numLayers; i++) {
                String at = where.isEmpty() ? "" : where + i + "].";
                if (heads[i] <= 0) throw error(at + "num_attention_heads", "must be a positive integer, found " + heads[i]);
                if (kvHeads[i] <= 0) throw error(at + "num_key_value_heads", "must be a positive integer, found " + kvHeads[i]);
                if (intermediate[i] < 0) throw error(at + "intermediate_size", "must be a non-negative integer, found " + intermediate[i]);
            }
            if (headDim == null && keptHeadDim != null && (!uniform(heads) || hiddenSize % heads[0] != 0 || hiddenSize / heads[0] != keptHeadDim))
                headDim = keptHeadDim; // pruning heads keeps the head size
            if (headDim == null) {
                if (!uniform(heads))
                    throw error("head_dim", "is required when layers have different numbers of heads");
                if (hiddenSize % heads[0] != 0)
                    throw error("num_attention_heads", "= " + heads[0] + " does not divide hidden_size = " + hiddenSize
                            + " and head_dim is absent (supported: set head_dim, or heads dividing hidden_size)");
            }
            for (int i = 0; i < numLayers; i++) {
                String at = where.isEmpty() ? "" : where + i + "].";
                if (heads[i] % kvHeads[i] != 0)
                    throw error(at + "num_key_value_heads", "= " + kvHeads[i] + " does not divide num_attention_heads = " + heads[i]
                            + " (supported: key/value heads shared by equal groups of query heads)");
            }
            int hd = headDim != null ? headDim : hiddenSize / heads[0];
            if (hd % 2 != 0) throw error("head_dim", "= " + hd + " must be even for rotary embeddings");
            if (ropeScaling != null) {
                if (!ropeScaling.type().equals("llama3") && !ropeScaling.type().equals("linear"))
                    throw error("rope_scaling", "type \"" + ropeScaling.type() + "\" is not supported (supported: " + RopeScaling.SUPPORTED + ")");
                if (!(ropeScaling.factor() > 0)) throw error("rope_scaling.factor", "must be positive, found " + ropeScaling.factor());
                if (ropeScaling.type().equals("llama3") && ropeScaling.originalMaxPositionEmbeddings() <= 0)
                    throw error("rope_scaling.original_max_position_embeddings", "must be a positive integer");
            }
            if (architecture.equals("Qwen2ForCausalLM") && !attentionBias)
                throw error("architectures", "Qwen2ForCausalLM always has q/k/v bias; attentionBias(false) is not representable");
            return new ModelConfig(this);
        }

        private ModelConfig buildUnchecked() {
            return new ModelConfig(this);
        }
    }
}
