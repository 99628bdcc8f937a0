package org.prune4j.pruning.structured;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A structured pruning decision made explicit, so it can be printed, saved ({@code --plan-out}), applied later
 * ({@code --plan}) and compared: for every kept decoder layer (in order; dropped layers are absent) the source index,
 * the kept query heads, how each output KV head is made from source KV heads (one source: kept; several: their mean,
 * Ainslie et al.'s mean-pooling), the kept MLP neurons; the kept hidden channels; the scores behind the decision; and
 * the source model's shapes and fingerprint, so a plan is never applied to another model. All indices are source
 * indices, ascending.
 */
public record Plan(Source source, String criterion, Map<String, Integer> targets, List<LayerPlan> layers, int[] channels,
                   Map<UnitKind, UnitScores> scores) {

    /** The model a plan was made for: its fingerprint ({@link Fingerprint}) and shapes. */
    public record Source(String fingerprint, int hiddenSize, int headDim, int[] heads, int[] kvHeads, int[] intermediate) {
        public Source {
            heads = heads.clone();
            kvHeads = kvHeads.clone();
            intermediate = intermediate.clone();
            if (heads.length != kvHeads.length || heads.length != intermediate.length) throw new IllegalArgumentException("per-layer shapes differ in length");
        }

        public int numLayers() { return heads.length; }

        @Override public boolean equals(Object o) {
            return o instanceof Source s && s.fingerprint.equals(fingerprint) && s.hiddenSize == hiddenSize && s.headDim == headDim
                    && Arrays.equals(s.heads, heads) && Arrays.equals(s.kvHeads, kvHeads) && Arrays.equals(s.intermediate, intermediate);
        }

        @Override public int hashCode() { return fingerprint.hashCode(); }
    }

    /**
     * One kept decoder layer: source index; kept query heads [H'], ascending; {@code kv[j]} the source KV heads whose
     * mean is output KV head j [G']; kept neurons [I'], ascending. Output query head i reads output KV head
     * i / (H'/G'), and that KV head must contain the source KV head of source head heads[i].
     */
    public record LayerPlan(int source, int[] heads, int[][] kv, int[] neurons) {
        public LayerPlan {
            heads = heads.clone();
            neurons = neurons.clone();
            int[][] c = new int[kv.length][];
            for (int j = 0; j < kv.length; j++) c[j] = kv[j].clone();
            kv = c;
        }

        @Override public int[] heads() { return heads.clone(); }
        @Override public int[] neurons() { return neurons.clone(); }
        @Override public int[][] kv() {
            int[][] c = new int[kv.length][];
            for (int j = 0; j < kv.length; j++) c[j] = kv[j].clone();
            return c;
        }

        public int numHeads() { return heads.length; }
        public int numKvHeads() { return kv.length; }
        public int intermediateSize() { return neurons.length; }

        /** True when some output KV head averages several source KV heads. */
        public boolean meanPools() {
            for (int[] g : kv) if (g.length > 1) return true;
            return false;
        }

        @Override public boolean equals(Object o) {
            return o instanceof LayerPlan p && p.source == source && Arrays.equals(p.heads, heads) && Arrays.deepEquals(p.kv, kv)
                    && Arrays.equals(p.neurons, neurons);
        }

        @Override public int hashCode() { return source * 31 + Arrays.hashCode(heads); }
    }

    public Plan {
        if (source == null || criterion == null || layers == null || channels == null) throw new IllegalArgumentException("incomplete plan");
        targets = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(targets == null ? Map.of() : targets));
        layers = List.copyOf(layers);
        channels = channels.clone();
        EnumMap<UnitKind, UnitScores> s = new EnumMap<>(UnitKind.class);
        if (scores != null) s.putAll(scores);
        scores = java.util.Collections.unmodifiableMap(s);
        validate(source, layers, channels);
    }

    @Override public int[] channels() { return channels.clone(); }

    public int hiddenSize() { return channels.length; }

    public int numLayers() { return layers.size(); }

    /** Rejects plans no model can have: indices out of range or unordered, heads not split evenly over KV heads, a query head reading a KV head that does not hold its source KV head. */
    private static void validate(Source src, List<LayerPlan> layers, int[] channels) {
        ascending(channels, src.hiddenSize(), "kept channels");
        if (channels.length == 0) throw new StructuredException("plan: hidden_size would be 0 (at least one channel must be kept)");
        if (layers.isEmpty()) throw new StructuredException("plan: num_hidden_layers would be 0 (at least one layer must be kept)");
        int prev = -1;
        for (LayerPlan p : layers) {
            String where = "plan: layer " + p.source();
            if (p.source() <= prev || p.source() >= src.numLayers())
                throw new StructuredException(where + ": layer indices must ascend within 0.." + (src.numLayers() - 1));
            prev = p.source();
            int h = src.heads()[p.source()], hkv = src.kvHeads()[p.source()], groupSize = h / hkv;
            ascending(p.heads, h, where + " kept heads");
            ascending(p.neurons, src.intermediate()[p.source()], where + " kept neurons");
            if (p.heads.length == 0) throw new StructuredException(where + ": num_attention_heads would be 0 (at least one head must be kept)");
            if (p.kv.length == 0 || p.heads.length % p.kv.length != 0)
                throw new StructuredException(where + ": " + p.kv.length + " key/value heads do not divide " + p.heads.length
                        + " query heads (num_attention_heads must be a multiple of num_key_value_heads)");
            boolean[] used = new boolean[hkv];
            for (int[] g : p.kv) {
                if (g.length == 0) throw new StructuredException(where + ": an output key/value head has no source head");
                for (int s : g) {
                    if (s < 0 || s >= hkv) throw new StructuredException(where + ": key/value head " + s + " is outside 0.." + (hkv - 1));
                    if (used[s]) throw new StructuredException(where + ": key/value head " + s + " is used twice");
                    used[s] = true;
                }
            }
            int perKv = p.heads.length / p.kv.length;
            for (int i = 0; i < p.heads.length; i++) {
                int srcKv = p.heads[i] / groupSize;
                if (Arrays.stream(p.kv[i / perKv]).noneMatch(s -> s == srcKv))
                    throw new StructuredException(where + ": query head " + p.heads[i] + " reads key/value head " + srcKv
                            + ", which is not in its output group " + Arrays.toString(p.kv[i / perKv]));
            }
        }
    }

    private static void ascending(int[] idx, int size, String what) {
        for (int i = 0; i < idx.length; i++)
            if (idx[i] < 0 || idx[i] >= size || (i > 0 && idx[i] <= idx[i - 1]))
                throw new StructuredException("plan: " + what + " must be distinct ascending indices in 0.." + (size - 1) + ", found " + idx[i] + " at " + i);
    }

    /** True when the plan keeps every unit of the source, unchanged (the identity). */
    public boolean isIdentity() {
        if (channels.length != source.hiddenSize() || layers.size() != source.numLayers()) return false;
        for (LayerPlan p : layers)
            if (p.heads.length != source.heads()[p.source()] || p.kv.length != source.kvHeads()[p.source()] || p.meanPools()
                    || p.neurons.length != source.intermediate()[p.source()]) return false;
        return true;
    }

    /** True when layers keep different shapes (only {@code --allocation global} makes such plans). */
    public boolean perLayerShapes() {
        for (LayerPlan p : layers) {
            LayerPlan f = layers.getFirst();
            if (p.numHeads() != f.numHeads() || p.numKvHeads() != f.numKvHeads() || p.intermediateSize() != f.intermediateSize()) return true;
        }
        return false;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Plan p && p.source.equals(source) && p.criterion.equals(criterion) && p.targets.equals(targets)
                && p.layers.equals(layers) && Arrays.equals(p.channels, channels) && p.scores.equals(scores);
    }

    @Override public int hashCode() { return source.hashCode() * 31 + layers.hashCode(); }
}
