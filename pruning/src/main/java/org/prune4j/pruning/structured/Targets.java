package org.prune4j.pruning.structured;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.prune4j.io.config.ModelConfig;

/**
 * The {@code --target KEY=VALUE} sizes of a structured run, keyed by the Hugging Face config key they set.
 * Several combine (Minitron's width × depth candidates). Each must be positive and at most the current size.
 */
public record Targets(Map<String, Integer> values) {
    public static final String HEADS = "num_attention_heads", KV_HEADS = "num_key_value_heads", INTERMEDIATE = "intermediate_size",
            HIDDEN = "hidden_size", LAYERS = "num_hidden_layers";
    /** The keys a target may set. */
    public static final List<String> KEYS = List.of(HEADS, KV_HEADS, INTERMEDIATE, HIDDEN, LAYERS);

    public Targets {
        values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** Parses "KEY=VALUE" strings; an unknown key, a repeated key or a value that is not a positive integer is an error naming it. */
    public static Targets parse(List<String> specs) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            if (eq <= 0) throw new StructuredException("--target " + spec + ": expected KEY=VALUE with KEY one of " + KEYS);
            String key = spec.substring(0, eq).trim(), val = spec.substring(eq + 1).trim();
            if (!KEYS.contains(key)) throw new StructuredException("--target " + spec + ": unknown key '" + key + "' (known: " + String.join(", ", KEYS) + ")");
            int v;
            try {
                v = Integer.parseInt(val);
            } catch (NumberFormatException e) {
                throw new StructuredException("--target " + spec + ": " + key + " must be a positive integer, got '" + val + "'");
            }
            if (v < 1) throw new StructuredException("--target " + spec + ": " + key + " must be a positive integer, got " + v);
            if (m.put(key, v) != null) throw new StructuredException("--target " + key + " is given twice");
        }
        return new Targets(m);
    }

    public Integer get(String key) { return values.get(key); }

    public boolean has(String key) { return values.containsKey(key); }

    public boolean isEmpty() { return values.isEmpty(); }

    /**
     * Checks the targets against the model: none larger than the current size (the largest over layers for per-layer
     * shapes). Rules that depend on the plan (heads a multiple of the KV groups, G dividing the KV heads) are checked
     * by the {@link Planner}.
     */
    public void check(ModelConfig cfg) {
        for (Map.Entry<String, Integer> e : values.entrySet()) {
            int now = current(cfg, e.getKey());
            if (e.getValue() > now)
                throw new StructuredException("--target " + e.getKey() + "=" + e.getValue() + " is larger than the model's current " + e.getKey()
                        + " = " + now + " (structured pruning only removes units)");
        }
    }

    static int current(ModelConfig cfg, String key) {
        int m = 0;
        for (int l = 0; l < cfg.numLayers(); l++)
            m = Math.max(m, switch (key) {
                case HEADS -> cfg.numHeads(l);
                case KV_HEADS -> cfg.numKvHeads(l);
                case INTERMEDIATE -> cfg.intermediateSize(l);
                case HIDDEN -> cfg.hiddenSize();
                case LAYERS -> cfg.numLayers();
                default -> throw new IllegalArgumentException(key);
            });
        return m;
    }

    /** The unit kinds whose scores these targets need: heads, neurons, channels, layers; KV groups only when {@code kvPrune}. */
    public Set<UnitKind> kinds(boolean kvPrune, boolean contiguous) {
        Set<UnitKind> k = EnumSet.noneOf(UnitKind.class);
        if (has(HEADS)) k.add(UnitKind.HEAD);
        if (has(KV_HEADS) && kvPrune) k.add(UnitKind.KV_GROUP);
        if (has(INTERMEDIATE)) k.add(UnitKind.NEURON);
        if (has(HIDDEN)) k.add(UnitKind.CHANNEL);
        if (has(LAYERS)) k.add(contiguous ? UnitKind.BLOCK : UnitKind.LAYER);
        return k;
    }

    /** "num_attention_heads=4 intermediate_size=128". */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : " ").append(k).append('=').append(v));
        return sb.toString();
    }
}
