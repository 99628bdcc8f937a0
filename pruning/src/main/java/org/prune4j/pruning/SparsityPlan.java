package org.prune4j.pruning;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.prune4j.io.json.Json;
import org.prune4j.io.json.JsonException;
import org.prune4j.io.json.JsonFields;

/**
 * The sparsity every linear layer gets: one target for all (the default), or per-decoder-layer ratios from a file
 * (OWL-style non-uniform budgets). File format, JSON, either
 * <pre>
 *   [0.30, 0.45, 0.55, 0.70]                     one unstructured ratio per decoder layer, in order
 * </pre>
 * or
 * <pre>
 *   {"default": 0.5,                             ratio for anything not listed (else --sparsity, else an error)
 *    "layers": {"0": 0.3, "11": 0.7},            by decoder layer index
 *    "linears": {"model.layers.3.mlp.down_proj": 0.6}}   by weight name (".weight" optional); wins over "layers"
 * </pre>
 * Every ratio must lie in [0, 1). N:M targets are uniform only. {@link #onlyLayers} prunes some decoder layers and
 * leaves the others dense (per-layer sensitivity: perplexity when only layer l is pruned).
 */
public final class SparsityPlan {
    private final Sparsity fallback;              // null: every layer must be listed
    private final Map<Integer, Sparsity> layers;
    private final Map<String, Sparsity> linears;  // weight name without ".weight"
    private final String source;
    private final int listedLayers;               // the list form's length, else -1
    private final Set<Integer> only;              // the decoder layers pruned, null: all of them

    private SparsityPlan(Sparsity fallback, Map<Integer, Sparsity> layers, Map<String, Sparsity> linears, String source, int listedLayers,
                         Set<Integer> only) {
        this.fallback = fallback;
        this.layers = layers;
        this.linears = linears;
        this.source = source;
        this.listedLayers = listedLayers;
        this.only = only;
    }

    private SparsityPlan(Sparsity fallback, Map<Integer, Sparsity> layers, Map<String, Sparsity> linears, String source, int listedLayers) {
        this(fallback, layers, linears, source, listedLayers, null);
    }

    /** The same target for every linear layer. */
    public static SparsityPlan uniform(Sparsity s) {
        return new SparsityPlan(s, Map.of(), Map.of(), null, -1);
    }

    /**
     * Target {@code s} for every linear weight of the decoder layers {@code pruned}; every other layer's tensors are
     * copied unchanged. The sensitivity sweep's plan: how much perplexity pruning only layer l costs.
     */
    public static SparsityPlan onlyLayers(Sparsity s, Set<Integer> pruned) {
        if (pruned.isEmpty()) throw new PruningException("onlyLayers: no layer to prune");
        return new SparsityPlan(s, Map.of(), Map.of(), null, -1, Set.copyOf(pruned));
    }

    /** True when decoder layer {@code layer}'s linear weights are pruned (else they are copied unchanged). */
    public boolean prunes(int layer) {
        return only == null || only.contains(layer);
    }

    /** True when every linear layer gets the same target. */
    public boolean isUniform() {
        return layers.isEmpty() && linears.isEmpty() && only == null;
    }

    /** The uniform target, or null for a per-layer plan. */
    public Sparsity uniformTarget() {
        return isUniform() ? fallback : null;
    }

    /**
     * The target of weight {@code weightName} (e.g. {@code model.layers.3.mlp.down_proj.weight}) in decoder layer
     * {@code layer}: by name, else by layer, else the default.
     */
    public Sparsity target(int layer, String weightName) {
        String base = weightName.endsWith(".weight") ? weightName.substring(0, weightName.length() - 7) : weightName;
        Sparsity s = linears.get(base);
        if (s == null) s = layers.get(layer);
        if (s == null) s = fallback;
        if (s == null) throw new PruningException(source + ": no ratio for " + weightName + " (layer " + layer + ") and no \"default\"");
        return s;
    }

    /** Checks the file's layer indices and weight names against the model (names as {@code model.layers.L.x.y}). */
    public void validate(int numLayers, Set<String> prunableNames) {
        if (only != null)
            for (int l : only)
                if (l < 0 || l >= numLayers) throw new PruningException("layer " + l + " does not exist (the model has " + numLayers + " layers: 0.." + (numLayers - 1) + ")");
        if (listedLayers >= 0 && listedLayers != numLayers)
            throw new PruningException(source + ": lists " + listedLayers + " ratios but the model has " + numLayers + " layers");
        for (int l : layers.keySet())
            if (l < 0 || l >= numLayers) throw new PruningException(source + ": layer " + l + " does not exist (the model has " + numLayers + " layers)");
        for (String n : linears.keySet())
            if (!prunableNames.contains(n))
                throw new PruningException(source + ": \"" + n + "\" is not a prunable linear layer of this model (e.g. model.layers.0.mlp.down_proj)");
    }

    /** Reads a ratio file (format above); {@code fallback} (may be null) applies to what the file does not list. */
    public static SparsityPlan read(Path file, Sparsity fallback) throws IOException {
        Object json;
        try {
            json = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonException e) {
            throw new PruningException(file + ": not valid JSON: " + e.getMessage());
        } catch (CharacterCodingException e) {
            throw new PruningException(file + ": not valid UTF-8");
        }
        String src = file.toString();
        Map<Integer, Sparsity> layers = new HashMap<>();
        Map<String, Sparsity> linears = new HashMap<>();
        Sparsity def = fallback;
        if (json instanceof List<?> list) {
            if (list.isEmpty()) throw new PruningException(file + ": the ratio list is empty");
            for (int i = 0; i < list.size(); i++) layers.put(i, ratio(list.get(i), src, "element " + i));
            return new SparsityPlan(def, layers, linears, src, list.size());
        }
        if (!(json instanceof Map<?, ?> obj))
            throw new PruningException(file + ": expected a JSON array of ratios or an object with \"layers\"/\"linears\"/\"default\", found " + Json.typeName(json));
        @SuppressWarnings("unchecked")
        JsonFields<PruningException> f = new JsonFields<>((Map<String, Object>) obj, (key, what) -> new PruningException(src + ": \"" + key + "\" " + what));
        for (Object key : obj.keySet())
            if (!List.of("default", "layers", "linears").contains(key))
                throw new PruningException(file + ": unknown key \"" + key + "\" (expected \"default\", \"layers\", \"linears\")");
        if (f.has("default")) def = ratio(f.map().get("default"), src, "\"default\"");
        Map<String, Object> byLayer = f.object("layers"), byName = f.object("linears");
        if (byLayer != null)
            for (var le : byLayer.entrySet()) {
                int idx;
                try {
                    idx = Integer.parseInt(le.getKey());
                } catch (NumberFormatException ex) {
                    throw new PruningException(file + ": \"layers\" key \"" + le.getKey() + "\" is not a layer index");
                }
                layers.put(idx, ratio(le.getValue(), src, "layer " + idx));
            }
        if (byName != null)
            for (var le : byName.entrySet()) {
                String n = le.getKey().endsWith(".weight") ? le.getKey().substring(0, le.getKey().length() - 7) : le.getKey();
                linears.put(n, ratio(le.getValue(), src, "\"" + le.getKey() + "\""));
            }
        return new SparsityPlan(def, layers, linears, src, -1);
    }

    private static Sparsity ratio(Object v, String src, String what) {
        if (!(v instanceof Number num)) throw new PruningException(src + ": " + what + " must be a number in [0, 1), found " + Json.typeName(v));
        double r = num.doubleValue();
        if (!(r >= 0 && r < 1)) throw new PruningException(src + ": " + what + " is " + r + "; a sparsity ratio must lie in [0, 1)");
        return new Sparsity.Unstructured(r);
    }

    /** A line for reports: "uniform 50%", "per-layer from FILE" or "50% on layer 3 only". */
    public String describe() {
        if (only != null) return fallback.label() + " on layer" + (only.size() > 1 ? "s " : " ") + new TreeSet<>(only).toString().replaceAll("[\\[\\]]", "") + " only";
        return isUniform() ? "uniform " + fallback.label() : "per-layer ratios from " + source;
    }
}
