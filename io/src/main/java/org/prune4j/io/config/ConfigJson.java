package org.prune4j.io.config;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.json.Json;
import org.prune4j.io.json.JsonException;
import org.prune4j.io.json.JsonFields;

/**
 * config.json to {@link ModelConfig} and back: Hugging Face's keys and per-architecture defaults when reading (every
 * violation a {@link ConfigException} naming the file and the key), and a key-preserving writer that Hugging Face
 * reads again (unknown keys of the source kept in order, per-layer shapes under {@value ModelConfig#PER_LAYER_KEY}).
 */
public final class ConfigJson {
    private ConfigJson() {}

    /** Reads {@code config.json}, or the one inside a model folder. */
    public static ModelConfig read(Path configJsonOrModelDir) throws IOException {
        Path file = Files.isDirectory(configJsonOrModelDir) ? configJsonOrModelDir.resolve(ModelConfig.FILE) : configJsonOrModelDir;
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
        if (Files.size(file) > ModelConfig.MAX_FILE_SIZE)
            throw new ConfigException(file + ": " + Files.size(file) + " bytes is far larger than any model config (limit " + ModelConfig.MAX_FILE_SIZE + ")", null);
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

    /** The typed fields of {@code json}, failing with a ConfigException that names {@code file} and the key. */
    static JsonFields<ConfigException> fields(Map<String, Object> json, Path file) {
        return new JsonFields<>(json, (key, what) -> new ConfigException((file == null ? ModelConfig.FILE : file.toString()) + ": key '" + key + "' " + what, key));
    }

    /** Builds a config from an already parsed config.json object; {@code file} is only used in messages. */
    public static ModelConfig parse(Map<String, Object> json, Path file) throws ConfigException {
        JsonFields<ConfigException> r = fields(json, file);
        String arch = null;
        Object archs = json.get("architectures");
        if (archs != null) {
            if (!(archs instanceof List<?> l) || l.isEmpty() || !(l.getFirst() instanceof String a))
                throw r.error("architectures", "must be a non-empty list of strings, found " + Json.typeName(archs));
            arch = a;
        }
        String modelType = r.string("model_type", null);
        if (arch == null && modelType != null) {
            for (Map.Entry<String, String> e : ModelConfig.MODEL_TYPES.entrySet()) if (e.getValue().equals(modelType)) arch = e.getKey();
            if (arch == null)
                throw r.error("model_type", "\"" + modelType + "\" is not supported and no architectures key names one (supported: " + ModelConfig.ARCHITECTURES + ")");
        }
        if (arch == null) throw r.error("architectures", "is missing (and so is model_type); supported: " + ModelConfig.ARCHITECTURES);
        if (!ModelConfig.ARCHITECTURES.contains(arch)) throw r.error("architectures", "\"" + arch + "\" is not supported (supported: " + ModelConfig.ARCHITECTURES + ")");
        boolean llama = arch.equals("LlamaForCausalLM"), mistral = arch.equals("MistralForCausalLM"), qwen2 = arch.equals("Qwen2ForCausalLM");
        ModelConfig.Builder b = ModelConfig.builder(arch).origin(file, json).modelType(modelType != null ? modelType : ModelConfig.MODEL_TYPES.get(arch));

        b.hiddenSize(r.requiredInt("hidden_size"));
        int inter = r.requiredInt("intermediate_size");
        int numLayers = r.requiredInt("num_hidden_layers");
        if (numLayers > ModelConfig.MAX_LAYERS) throw r.error("num_hidden_layers", "= " + numLayers + " is implausible (more than " + ModelConfig.MAX_LAYERS + ")");
        int nHeads = r.requiredInt("num_attention_heads");
        int nKv = r.positiveInt("num_key_value_heads", nHeads);
        b.vocabSize(r.requiredInt("vocab_size"));
        b.headDim(r.positiveInt("head_dim", null));
        List<LayerShape> layers = new ArrayList<>();
        for (int i = 0; i < numLayers; i++) layers.add(new LayerShape(nHeads, nKv, inter));

        String act = r.string("hidden_act", "silu");
        if (!act.equals("silu") && !act.equals("swish")) throw r.error("hidden_act", "\"" + act + "\" is not supported (supported: silu)");
        b.hiddenAct(act);
        b.maxPositionEmbeddings(r.positiveInt("max_position_embeddings", llama ? 2048 : mistral ? 4096 * 32 : 32768));
        b.rmsNormEps(r.positiveDouble("rms_norm_eps", 1e-6));
        b.tieWordEmbeddings(r.bool("tie_word_embeddings", false));
        if (llama) {
            boolean bias = r.bool("attention_bias", false);
            b.attentionBias(bias).outputBias(bias).mlpBias(r.bool("mlp_bias", false));
        } else {
            b.attentionBias(qwen2).outputBias(false).mlpBias(false); // Qwen2 always has q/k/v bias, Mistral never; neither has o_proj or MLP bias
        }
        b.bosTokenId(r.intOrNull("bos_token_id", llama || mistral ? 1 : null, true));
        b.eosTokenIds(eos(r, llama || mistral ? new int[] {2} : new int[0]));
        b.torchDtype(json.containsKey("torch_dtype") ? r.string("torch_dtype", null) : r.string("dtype", null));
        if (mistral) b.slidingWindow(r.intOrNull("sliding_window", 4096, false));
        else if (qwen2 && r.bool("use_sliding_window", false)) b.slidingWindow(r.intOrNull("sliding_window", 4096, false));
        else b.slidingWindow(null);

        // RoPE: rope_theta + rope_scaling, or (transformers v5) one rope_parameters object
        Map<String, Object> ropeParams = r.object("rope_parameters");
        double theta = r.positiveDouble("rope_theta", 10000.0);
        if (ropeParams != null && ropeParams.get("rope_theta") != null) theta = r.nested("rope_parameters", ropeParams).positiveDouble("rope_theta", theta);
        b.ropeTheta(theta);
        Map<String, Object> scaling = ropeParams != null ? ropeParams : r.object("rope_scaling");
        b.ropeScaling(scaling == null ? null : ropeScaling(r.nested(ropeParams != null ? "rope_parameters" : "rope_scaling", scaling)));

        Object perLayer = json.get(ModelConfig.PER_LAYER_KEY);
        if (perLayer != null) {
            if (!(perLayer instanceof List<?> list) || list.size() != numLayers)
                throw r.error(ModelConfig.PER_LAYER_KEY, "must be a list of " + numLayers + " objects (one per layer), found "
                        + (perLayer instanceof List<?> l ? "a list of " + l.size() : Json.typeName(perLayer)));
            for (int i = 0; i < numLayers; i++) {
                if (!(list.get(i) instanceof Map<?, ?> m))
                    throw r.error(ModelConfig.PER_LAYER_KEY, "entry " + i + " must be an object, found " + Json.typeName(list.get(i)));
                @SuppressWarnings("unchecked") JsonFields<ConfigException> lr = r.nested(ModelConfig.PER_LAYER_KEY + "[" + i + "]", (Map<String, Object>) m);
                layers.set(i, new LayerShape(lr.positiveInt("num_attention_heads", nHeads), lr.positiveInt("num_key_value_heads", nKv),
                        lr.nonNegativeInt("intermediate_size", inter)));
            }
        }
        return b.layers(layers).build();
    }

    private static RopeScaling ropeScaling(JsonFields<ConfigException> r) throws ConfigException {
        String type = r.has("rope_type") ? r.string("rope_type", null) : r.string("type", null);
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

    /** eos_token_id: absent (the default), null (none), one id or a list of ids. */
    private static int[] eos(JsonFields<ConfigException> r, int[] dflt) throws ConfigException {
        if (!r.has("eos_token_id")) return dflt;
        Object v = r.map().get("eos_token_id");
        if (v == null) return new int[0];
        if (v instanceof List<?> l) {
            int[] out = new int[l.size()];
            for (int i = 0; i < out.length; i++) {
                if (l.get(i) == null) throw r.error("eos_token_id", "list entry " + i + " is null");
                out[i] = r.toInt("eos_token_id", l.get(i));
            }
            return out;
        }
        return new int[] {r.toInt("eos_token_id", v)};
    }

    // ------------------------------------------------------------------ writing

    /**
     * The config.json object: the source's keys (unknown ones kept, in order) with every known key set from
     * {@code c}, plus {@value ModelConfig#PER_LAYER_KEY} when layers differ.
     */
    public static Map<String, Object> toJson(ModelConfig c) {
        Map<String, Object> raw = c.raw();
        Map<String, Object> m = new LinkedHashMap<>(raw);
        if (!(m.get("architectures") instanceof List<?> l) || l.isEmpty() || !c.architecture().equals(l.getFirst()))
            m.put("architectures", List.of(c.architecture()));
        int heads = c.max(LayerShape::numHeads);
        m.put("model_type", c.modelType());
        m.put("hidden_size", (long) c.hiddenSize());
        m.put("intermediate_size", (long) c.max(LayerShape::intermediateSize));
        m.put("num_hidden_layers", (long) c.numLayers());
        m.put("num_attention_heads", (long) heads);
        m.put("num_key_value_heads", (long) c.max(LayerShape::numKvHeads));
        if (c.headDimExplicit() || raw.containsKey("head_dim") || c.hiddenSize() % heads != 0 || c.hiddenSize() / heads != c.headDim())
            m.put("head_dim", (long) c.headDim());
        m.put("vocab_size", (long) c.vocabSize());
        m.put("max_position_embeddings", (long) c.maxPositionEmbeddings());
        m.put("rms_norm_eps", c.rmsNormEps());
        m.put("hidden_act", c.hiddenAct());
        m.put("tie_word_embeddings", c.tieWordEmbeddings());
        if (c.architecture().equals("LlamaForCausalLM")) {
            m.put("attention_bias", c.attentionBias());
            m.put("mlp_bias", c.mlpBias());
        }
        if (raw.get("rope_parameters") instanceof Map<?, ?> rp) {
            Map<String, Object> p = copy(rp);
            p.put("rope_theta", c.ropeTheta());
            putScaling(p, c.ropeScaling());
            m.put("rope_parameters", p);
        } else {
            m.put("rope_theta", c.ropeTheta());
            if (c.ropeScaling() == null) {
                if (raw.containsKey("rope_scaling")) m.put("rope_scaling", null);
            } else {
                Map<String, Object> p = raw.get("rope_scaling") instanceof Map<?, ?> rs ? copy(rs) : new LinkedHashMap<>();
                putScaling(p, c.ropeScaling());
                m.put("rope_scaling", p);
            }
        }
        m.put("bos_token_id", c.bosTokenId() == null ? null : (Object) (long) c.bosTokenId());
        int[] eos = c.eosTokenIds();
        if (eos.length == 1 && !(raw.get("eos_token_id") instanceof List)) m.put("eos_token_id", (long) eos[0]);
        else if (eos.length == 0) m.put("eos_token_id", null);
        else {
            List<Object> l = new ArrayList<>();
            for (int e : eos) l.add((long) e);
            m.put("eos_token_id", l);
        }
        if (c.torchDtype() != null) m.put(raw.containsKey("dtype") && !raw.containsKey("torch_dtype") ? "dtype" : "torch_dtype", c.torchDtype());
        if (c.architecture().equals("MistralForCausalLM") || raw.containsKey("sliding_window"))
            m.put("sliding_window", c.slidingWindow() == null ? null : (Object) (long) c.slidingWindow());
        if (c.hasPerLayerShapes()) {
            List<Object> layers = new ArrayList<>();
            for (LayerShape s : c.layers()) {
                Map<String, Object> l = new LinkedHashMap<>();
                l.put("num_attention_heads", (long) s.numHeads());
                l.put("num_key_value_heads", (long) s.numKvHeads());
                l.put("intermediate_size", (long) s.intermediateSize());
                layers.add(l);
            }
            m.put(ModelConfig.PER_LAYER_KEY, layers);
        } else {
            m.remove(ModelConfig.PER_LAYER_KEY);
        }
        return m;
    }

    private static Map<String, Object> copy(Map<?, ?> from) {
        Map<String, Object> p = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : from.entrySet()) p.put((String) e.getKey(), e.getValue());
        return p;
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

    /** Writes config.json atomically ({@code path} is the file, or a folder to write config.json into). */
    public static void write(ModelConfig c, Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve(ModelConfig.FILE) : path;
        AtomicFiles.writeString(file, Json.writePretty(toJson(c), 2) + "\n");
    }
}
