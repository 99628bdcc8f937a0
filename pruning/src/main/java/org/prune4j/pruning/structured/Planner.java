package org.prune4j.pruning.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.prune4j.io.config.ModelConfig;

/**
 * Turns scores and targets into a {@link Plan}. Per layer, in this order: KV groups ({@code --kv-reduce prune}: the
 * G best groups with all their query heads), query heads (MHA: the H' best heads with their K/V heads; GQA and MQA:
 * the H'/Hkv best heads of every KV group, so every group keeps the same number), KV mean-pooling (the default for
 * num_key_value_heads: consecutive KV heads averaged in groups of Hkv/G), neurons (the I' best); then the C' best
 * channels and the L' best layers (or, with {@code --contiguous}, all but the least important block of L-L'
 * consecutive layers). Uniform per layer by default; {@code --allocation global} ranks heads and neurons across
 * layers (heads as "slots": the k-th best head of every KV group of a layer together, so groups stay equal).
 */
public final class Planner {
    private Planner() {}

    /** How KV heads are reduced to num_key_value_heads. */
    public enum KvReduce {
        MEAN_POOL, PRUNE;

        public static KvReduce parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "mean", "mean-pool", "meanpool" -> MEAN_POOL;
                case "prune" -> PRUNE;
                default -> throw new StructuredException("--kv-reduce must be mean-pool or prune, got '" + s + "'");
            };
        }
    }

    /** Uniform per layer (a plain HF config) or global ranking across layers (per-layer shapes). */
    public enum Allocation {
        UNIFORM, GLOBAL;

        public static Allocation parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "uniform" -> UNIFORM;
                case "global" -> GLOBAL;
                default -> throw new StructuredException("--allocation must be uniform or global, got '" + s + "'");
            };
        }
    }

    public record Options(KvReduce kvReduce, Allocation allocation, boolean contiguous) {
        public static final Options DEFAULT = new Options(KvReduce.MEAN_POOL, Allocation.UNIFORM, false);
    }

    /** The plan for {@code targets} on model {@code cfg} (fingerprint {@code fingerprint}) from {@code scores} of {@code criterion}. */
    public static Plan plan(ModelConfig cfg, String fingerprint, Targets targets, Map<UnitKind, UnitScores> scores, String criterion, Options o) {
        targets.check(cfg);
        for (UnitKind k : targets.kinds(o.kvReduce() == KvReduce.PRUNE, o.contiguous())) {
            UnitScores s = scores.get(k);
            if (s == null) throw new StructuredException("--method " + criterion + " gave no " + k + " scores, which the targets need");
            UnitCounts.check(cfg, s);
        }
        int n = cfg.numLayers();
        Plan.Source src = source(cfg, fingerprint);

        // ---- per layer: KV groups, heads, KV pooling
        int[][] heads = new int[n][];
        int[][][] kv = new int[n][][];
        for (int l = 0; l < n; l++) {
            int h = cfg.numHeads(l), hkv = cfg.numKvHeads(l);
            heads[l] = iota(h);
            kv[l] = singletons(iota(hkv));
            Integer g = targets.get(Targets.KV_HEADS);
            if (g != null && o.kvReduce() == KvReduce.PRUNE && g < hkv) {
                int[] groups = Rank.top(scores.get(UnitKind.KV_GROUP).row(l), g);
                heads[l] = headsOf(groups, h / hkv);
                kv[l] = singletons(groups);
            }
        }
        Integer hTarget = targets.get(Targets.HEADS);
        if (hTarget != null) {
            double[][] hs = scores.get(UnitKind.HEAD).scores();
            int[] perLayer = new int[n];
            for (int l = 0; l < n; l++) {
                int curKv = kv[l].length;
                boolean mha = heads[l].length == curKv;
                if (!mha && hTarget % curKv != 0)
                    throw new StructuredException("--target num_attention_heads=" + hTarget + " is not a multiple of num_key_value_heads = " + curKv
                            + " in layer " + l + " (every KV group keeps the same number of query heads)");
                if (!mha && hTarget < curKv)
                    throw new StructuredException("--target num_attention_heads=" + hTarget + " is fewer than num_key_value_heads = " + curKv
                            + " (each KV group keeps at least one query head; reduce num_key_value_heads too)");
                if (hTarget > heads[l].length)
                    throw new StructuredException("--target num_attention_heads=" + hTarget + " is more than the " + heads[l].length
                            + " query heads that the kept key/value groups of layer " + l + " hold");
                perLayer[l] = mha ? hTarget : hTarget / curKv;
            }
            if (o.allocation() == Allocation.GLOBAL) perLayer = globalSlots(heads, kv, cfg, hs, perLayer);
            for (int l = 0; l < n; l++) selectHeads(cfg, l, heads, kv, hs[l], perLayer[l]);
        }
        Integer g = targets.get(Targets.KV_HEADS);
        if (g != null && o.kvReduce() == KvReduce.MEAN_POOL)
            for (int l = 0; l < n; l++) {
                int cur = kv[l].length;
                if (cur % g != 0)
                    throw new StructuredException("--target num_key_value_heads=" + g + " does not divide the " + cur + " key/value heads of layer " + l
                            + " (mean-pooling merges equal groups of consecutive KV heads)");
                int merge = cur / g;
                int[][] pooled = new int[g][];
                for (int j = 0; j < g; j++) {
                    List<Integer> m = new ArrayList<>();
                    for (int i = j * merge; i < (j + 1) * merge; i++) for (int s : kv[l][i]) m.add(s);
                    pooled[j] = m.stream().mapToInt(Integer::intValue).toArray();
                }
                kv[l] = pooled;
            }
        if (g != null) for (int l = 0; l < n; l++)
            if (heads[l].length % kv[l].length != 0)
                throw new StructuredException("--target num_key_value_heads=" + g + " does not divide the " + heads[l].length + " query heads of layer " + l);

        // ---- neurons
        int[][] neurons = new int[n][];
        Integer iTarget = targets.get(Targets.INTERMEDIATE);
        if (iTarget == null) {
            for (int l = 0; l < n; l++) neurons[l] = iota(cfg.intermediateSize(l));
        } else {
            double[][] ns = scores.get(UnitKind.NEURON).scores();
            int[] keep = new int[n];
            for (int l = 0; l < n; l++) keep[l] = Math.min(iTarget, cfg.intermediateSize(l));
            if (o.allocation() == Allocation.GLOBAL) keep = globalCounts(ns, keep);
            for (int l = 0; l < n; l++) neurons[l] = Rank.top(ns[l], keep[l]);
        }

        // ---- channels and layers
        Integer cTarget = targets.get(Targets.HIDDEN);
        int[] channels = cTarget == null ? iota(cfg.hiddenSize()) : Rank.top(scores.get(UnitKind.CHANNEL).row(0), cTarget);
        Integer lTarget = targets.get(Targets.LAYERS);
        int[] layers;
        if (lTarget == null) layers = iota(n);
        else if (o.contiguous()) layers = dropBlock(n, n - lTarget, scores.get(UnitKind.BLOCK).row(0));
        else layers = Rank.top(scores.get(UnitKind.LAYER).row(0), lTarget);

        List<Plan.LayerPlan> lp = new ArrayList<>();
        for (int l : layers) lp.add(new Plan.LayerPlan(l, heads[l], kv[l], neurons[l]));
        Map<UnitKind, UnitScores> used = new EnumMap<>(UnitKind.class);
        for (UnitKind k : targets.kinds(o.kvReduce() == KvReduce.PRUNE, o.contiguous())) used.put(k, scores.get(k));
        return new Plan(src, criterion, targets.values(), lp, channels, used);
    }

    /** The source description of {@code cfg}. */
    public static Plan.Source source(ModelConfig cfg, String fingerprint) {
        int n = cfg.numLayers();
        int[] h = new int[n], kv = new int[n], in = new int[n];
        for (int l = 0; l < n; l++) {
            h[l] = cfg.numHeads(l);
            kv[l] = cfg.numKvHeads(l);
            in[l] = cfg.intermediateSize(l);
        }
        return new Plan.Source(fingerprint, cfg.hiddenSize(), cfg.headDim(), h, kv, in);
    }

    /** Keeps {@code k} heads of layer l: MHA the k best with their KV heads; otherwise the k best of every current KV group. */
    private static void selectHeads(ModelConfig cfg, int l, int[][] heads, int[][][] kv, double[] hs, int k) {
        int groupSize = cfg.numHeads(l) / cfg.numKvHeads(l);
        if (heads[l].length == kv[l].length) { // MHA: the head's K/V rows go with it
            int[] best = Rank.top(Rank.pick(hs, heads[l]), k);
            int[] kept = new int[k];
            int[][] kvs = new int[k][];
            for (int i = 0; i < k; i++) {
                kept[i] = heads[l][best[i]];
                kvs[i] = kv[l][best[i]];
            }
            heads[l] = kept;
            kv[l] = kvs;
            return;
        }
        List<Integer> kept = new ArrayList<>();
        for (int[] group : kv[l]) {
            int[] members = headsOf(group, groupSize);
            for (int i : Rank.top(Rank.pick(hs, members), k)) kept.add(members[i]);
        }
        heads[l] = kept.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /**
     * Global head allocation: a layer's k-th slot is its k-th best head of every KV group (one head under MHA) and
     * scores the sum of them; the best slots over all layers are kept, as many as uniform allocation would keep, and
     * at least one per layer. Slots of a layer are ordered, so a layer always keeps a prefix of them.
     */
    private static int[] globalSlots(int[][] heads, int[][][] kv, ModelConfig cfg, double[][] hs, int[] uniform) {
        int n = heads.length;
        List<double[]> slots = new ArrayList<>(); // {layer, k, score}
        int total = 0;
        int[] keep = new int[n];
        for (int l = 0; l < n; l++) {
            total += uniform[l];
            boolean mha = heads[l].length == kv[l].length;
            int groupSize = cfg.numHeads(l) / cfg.numKvHeads(l);
            int[][] groups = mha ? new int[][] {heads[l]} : new int[kv[l].length][];
            if (!mha) for (int j = 0; j < groups.length; j++) groups[j] = headsOf(kv[l][j], groupSize);
            int slotsHere = groups[0].length;
            double[] slot = new double[slotsHere];
            for (int[] grp : groups) {
                double[] s = Rank.pick(hs[l], grp);
                double[] sorted = s.clone();
                Arrays.sort(sorted);
                for (int k = 0; k < slotsHere; k++) slot[k] += sorted[slotsHere - 1 - k];
            }
            keep[l] = 1;
            total -= 1;
            for (int k = 1; k < slotsHere; k++) slots.add(new double[] {l, k, slot[k]});
        }
        slots.sort((a, b) -> a[2] != b[2] ? Double.compare(b[2], a[2]) : Double.compare(a[0], b[0]) != 0 ? Double.compare(a[0], b[0]) : Double.compare(a[1], b[1]));
        for (int i = 0; i < Math.min(total, slots.size()); i++) keep[(int) slots.get(i)[0]]++;
        return keep;
    }

    /** Global counts: the best units over all layers, as many as {@code uniform} keeps in total, at least one per layer. */
    private static int[] globalCounts(double[][] s, int[] uniform) {
        int n = s.length, total = 0;
        int[] keep = new int[n];
        List<double[]> all = new ArrayList<>();
        for (int l = 0; l < n; l++) {
            total += uniform[l];
            int best = Rank.top(s[l], 1)[0];
            keep[l] = 1;
            total--;
            for (int u = 0; u < s[l].length; u++) if (u != best) all.add(new double[] {l, u, s[l][u]});
        }
        all.sort((a, b) -> a[2] != b[2] ? Double.compare(b[2], a[2]) : a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(a[1], b[1]));
        for (int i = 0; i < Math.min(total, all.size()); i++) keep[(int) all.get(i)[0]]++;
        return keep;
    }

    /** Every layer but the block of {@code drop} consecutive ones whose score (block importance) is least. */
    private static int[] dropBlock(int n, int drop, double[] blockScores) {
        if (drop == 0) return iota(n);
        if (blockScores.length != n - drop + 1)
            throw new StructuredException("--contiguous: the criterion scored " + blockScores.length + " blocks, " + (n - drop + 1) + " are needed");
        int start = 0;
        for (int s = 1; s < blockScores.length; s++) if (blockScores[s] < blockScores[start]) start = s;
        int[] keep = new int[n - drop];
        for (int l = 0, i = 0; l < n; l++) if (l < start || l >= start + drop) keep[i++] = l;
        return keep;
    }

    /** The query heads of the given source KV heads, ascending. */
    private static int[] headsOf(int[] kvHeads, int groupSize) {
        int[] r = new int[kvHeads.length * groupSize];
        int i = 0;
        for (int g : kvHeads) for (int q = g * groupSize; q < (g + 1) * groupSize; q++) r[i++] = q;
        Arrays.sort(r);
        return r;
    }

    static int[] iota(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    private static int[][] singletons(int[] a) {
        int[][] r = new int[a.length][];
        for (int i = 0; i < a.length; i++) r[i] = new int[] {a[i]};
        return r;
    }
}
