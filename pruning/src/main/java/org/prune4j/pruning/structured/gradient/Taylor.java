package org.prune4j.pruning.structured.gradient;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;
import org.prune4j.transformer.DecoderLayer;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;

/**
 * LLM-Pruner's Taylor importance (Ma et al. 2023, {@code TaylorImportance} in {@code hf_llama_pruner.py}), computed as
 * its code computes it, from the calibration gradients g, the empirical Fisher F and the weights w:
 * <pre>
 *   salience s per weight entry:  first, vectorize: g·w     second: w·F·w     mix: g·w − ½·w·F·w
 *   per matrix and channel c:     vectorize: |Σ_{entries of c} s|    otherwise: Σ_{entries of c} |s|
 *                                 (a channel is a row of an output projection, a column of an input one, one norm entry)
 *   per unit channel:             the matrices' values reduced by --group-agg (sum, mean, max, prod, first)
 *   per unit:                     summed over the unit's consecutive channels (the head_dim channels of a head)
 * </pre>
 * Units: a head is its q rows and o columns, plus its k and v rows under MHA; a KV group is its k and v rows with
 * the q rows and o columns of its query heads (each summed over the group's heads before the reduction, as
 * LLM-Pruner aligns q to k); a neuron is its gate row, up row and down column; a channel is its column of the
 * embedding (and untied head), its entry of every RMSNorm, its column of q/k/v/gate/up and its row of o/down in every
 * layer; a layer is every weight of the layer, each tensor one "channel". Biases are not scored (LLM-Pruner reads
 * {@code weight} only). The first matrix of each unit is its root in LLM-Pruner (q; k; gate; the embedding).
 */
public final class Taylor {
    private Taylor() {}

    /** How each weight entry's salience is computed (LLM-Pruner's {@code --taylor}). */
    public enum Variant {
        FIRST, VECTORIZE, SECOND, MIX;

        /** first (LLM-Pruner's param_first), vectorize, second (param_second) or mix (param_mix). */
        public static Variant parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "first", "param_first" -> FIRST;
                case "vectorize" -> VECTORIZE;
                case "second", "param_second" -> SECOND;
                case "mix", "param_mix" -> MIX;
                default -> throw new StructuredException("--taylor must be first, vectorize, second or mix, got '" + s + "'");
            };
        }

        /** True when the empirical Fisher is needed (per-window gradients). */
        public boolean needsFisher() { return this == SECOND || this == MIX; }
    }

    /** How the matrices of a unit combine (LLM-Pruner's {@code --grouping_strategy}). */
    public enum GroupAgg {
        SUM, MEAN, MAX, PROD, FIRST;

        public static GroupAgg parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new StructuredException("--group-agg must be sum, mean, max, prod or first, got '" + s + "'");
            }
        }

        /** The reduction over one unit channel's values, one per matrix, in group order. */
        double reduce(double[] v) {
            double r = switch (this) {
                case SUM, MEAN -> 0;
                case MAX -> Double.NEGATIVE_INFINITY;
                case PROD -> 1;
                case FIRST -> v[0];
            };
            if (this == FIRST) return r;
            for (double x : v) r = switch (this) {
                case SUM, MEAN -> r + x;
                case MAX -> Math.max(r, x);
                case PROD -> r * x;
                case FIRST -> r;
            };
            return this == MEAN ? r / v.length : r;
        }
    }

    /** The variant and the aggregation; LLM-Pruner's defaults are first and sum. */
    public record Settings(Variant variant, GroupAgg groupAgg) {
        public static final Settings DEFAULT = new Settings(Variant.FIRST, GroupAgg.SUM);

        /** "first/sum". */
        public String describe() { return variant.name().toLowerCase(Locale.ROOT) + "/" + groupAgg.name().toLowerCase(Locale.ROOT); }
    }

    /** The scores of every unit of {@code kinds}; {@code g} must hold the Fisher when the variant needs it. */
    public static Map<UnitKind, UnitScores> scores(LlamaModel model, CalibrationGradients g, Settings s, Set<UnitKind> kinds) {
        if (s.variant().needsFisher() && !g.hasFisher())
            throw new IllegalArgumentException("taylor " + s.describe() + " needs the empirical Fisher; compute the gradients with fisher = true");
        Salience sal = new Salience(model, g, s.variant());
        Map<UnitKind, UnitScores> out = new EnumMap<>(UnitKind.class);
        for (UnitKind kind : kinds) {
            double[][] sc = switch (kind) {
                case HEAD -> perLayer(model, l -> heads(sal, model.layer(l), s.groupAgg()));
                case KV_GROUP -> perLayer(model, l -> kvGroups(sal, model.layer(l), s.groupAgg()));
                case NEURON -> perLayer(model, l -> neurons(sal, model.layer(l), s.groupAgg()));
                case CHANNEL -> new double[][] {channels(sal, model, s.groupAgg())};
                case LAYER -> new double[][] {layers(sal, model, s.groupAgg())};
                case BLOCK -> throw new StructuredException("taylor does not score blocks of consecutive layers (--contiguous uses the angular distance)");
            };
            out.put(kind, new UnitScores(kind, "taylor", sc));
        }
        return out;
    }

    private interface Row { double[] of(int layer); }

    private static double[][] perLayer(LlamaModel m, Row r) {
        double[][] s = new double[m.numLayers()][];
        for (int l = 0; l < s.length; l++) s[l] = r.of(l);
        return s;
    }

    /** Heads: channels c = h·D + d of q rows (k, v rows under MHA) and o columns, reduced, then summed over d. */
    static double[] heads(Salience sal, DecoderLayer layer, GroupAgg agg) {
        int l = layer.index(), h = layer.numHeads(), d = layer.headDim();
        boolean mha = h == layer.numKvHeads();
        List<double[]> m = new ArrayList<>();
        m.add(sal.rows(Linear.Q.weightName(l)));                                       // [H·D]
        if (mha) {
            m.add(sal.rows(Linear.K.weightName(l)));
            m.add(sal.rows(Linear.V.weightName(l)));
        }
        m.add(sal.cols(Linear.O.weightName(l)));                                       // [H·D]
        return consecutive(reduceChannels(m, agg), d);
    }

    /** KV groups: channels c = g·D + d of k and v rows, with q rows / o columns of the group's heads summed per d. */
    static double[] kvGroups(Salience sal, DecoderLayer layer, GroupAgg agg) {
        int l = layer.index(), h = layer.numHeads(), kv = layer.numKvHeads(), d = layer.headDim(), per = h / kv;
        double[] q = sal.rows(Linear.Q.weightName(l)), o = sal.cols(Linear.O.weightName(l));
        double[] qg = new double[kv * d], og = new double[kv * d];
        for (int head = 0; head < h; head++)                                           // query head -> group head / (H/Hkv)
            for (int i = 0; i < d; i++) {
                qg[(head / per) * d + i] += q[head * d + i];
                og[(head / per) * d + i] += o[head * d + i];
            }
        List<double[]> m = List.of(sal.rows(Linear.K.weightName(l)), sal.rows(Linear.V.weightName(l)), qg, og);
        return consecutive(reduceChannels(m, agg), d);
    }

    /** Neurons: gate row, up row, down column. */
    static double[] neurons(Salience sal, DecoderLayer layer, GroupAgg agg) {
        int l = layer.index();
        return reduceChannels(List.of(sal.rows(Linear.GATE.weightName(l)), sal.rows(Linear.UP.weightName(l)), sal.cols(Linear.DOWN.weightName(l))), agg);
    }

    /** Channels: every tensor's entries for the hidden index, the embedding first. */
    static double[] channels(Salience sal, LlamaModel model, GroupAgg agg) {
        List<double[]> m = new ArrayList<>();
        m.add(sal.cols("model.embed_tokens.weight"));
        for (int l = 0; l < model.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            m.add(sal.entries(p + "input_layernorm.weight"));
            for (Linear lin : List.of(Linear.Q, Linear.K, Linear.V)) m.add(sal.cols(lin.weightName(l)));
            m.add(sal.rows(Linear.O.weightName(l)));
            m.add(sal.entries(p + "post_attention_layernorm.weight"));
            for (Linear lin : List.of(Linear.GATE, Linear.UP)) m.add(sal.cols(lin.weightName(l)));
            m.add(sal.rows(Linear.DOWN.weightName(l)));
        }
        m.add(sal.entries("model.norm.weight"));
        if (!model.config().tieWordEmbeddings()) m.add(sal.cols("lm_head.weight"));
        return reduceChannels(m, agg);
    }

    /** Layers: each of the layer's weight tensors as one channel (vectorize: |Σ s| over the tensor). */
    static double[] layers(Salience sal, LlamaModel model, GroupAgg agg) {
        double[] out = new double[model.numLayers()];
        for (int l = 0; l < out.length; l++) {
            String p = "model.layers." + l + ".";
            List<String> names = new ArrayList<>();
            names.add(p + "input_layernorm.weight");
            for (Linear lin : List.of(Linear.Q, Linear.K, Linear.V, Linear.O)) names.add(lin.weightName(l));
            names.add(p + "post_attention_layernorm.weight");
            for (Linear lin : List.of(Linear.GATE, Linear.UP, Linear.DOWN)) names.add(lin.weightName(l));
            double[] v = new double[names.size()];
            for (int i = 0; i < v.length; i++) v[i] = sal.whole(names.get(i));
            out[l] = agg.reduce(v);
        }
        return out;
    }

    /** Element-wise over channels: out[c] = agg(m_0[c], m_1[c], ...). */
    static double[] reduceChannels(List<double[]> m, GroupAgg agg) {
        int n = m.get(0).length;
        double[] out = new double[n], v = new double[m.size()];
        for (int c = 0; c < n; c++) {
            for (int i = 0; i < v.length; i++) {
                if (m.get(i).length != n) throw new IllegalStateException("channel counts differ: " + n + " and " + m.get(i).length);
                v[i] = m.get(i)[c];
            }
            out[c] = agg.reduce(v);
        }
        return out;
    }

    /** Sums runs of {@code width} consecutive channels: [U·width] -> [U] (LLM-Pruner's consecutive groups). */
    static double[] consecutive(double[] ch, int width) {
        double[] out = new double[ch.length / width];
        for (int u = 0; u < out.length; u++)
            for (int i = 0; i < width; i++) out[u] += ch[u * width + i];
        return out;
    }

    /** The per-entry salience of one variant, reduced along rows, columns or a whole tensor, in double. */
    static final class Salience {
        private final Map<String, org.prune4j.autograd.Var> params;
        private final CalibrationGradients g;
        private final Variant v;

        Salience(LlamaModel model, CalibrationGradients g, Variant v) {
            this.params = model.parameters();
            this.g = g;
            this.v = v;
        }

        private double s(float w, float[] ga, float[] fa, int i) {
            return switch (v) {
                case FIRST, VECTORIZE -> (double) ga[i] * w;                          // g·w
                case SECOND -> (double) w * fa[i] * w;                                // w·F·w
                case MIX -> (double) ga[i] * w - 0.5 * w * fa[i] * w;                  // g·w − ½ w·F·w
            };
        }

        private float[] weight(String name) {
            var p = params.get(name);
            if (p == null) throw new IllegalArgumentException("the model has no tensor " + name);
            return p.value().toFloatArray();
        }

        /** One value per row of [out, in]: the row's entries combined. */
        double[] rows(String name) { return along(name, true); }

        /** One value per column of [out, in]. */
        double[] cols(String name) { return along(name, false); }

        /** One value per entry of a vector (an RMSNorm weight): |s|. */
        double[] entries(String name) {
            float[] w = weight(name), ga = g.grad(name), fa = g.hasFisher() ? g.fisher(name) : null;
            double[] out = new double[w.length];
            for (int i = 0; i < w.length; i++) out[i] = Math.abs(s(w[i], ga, fa, i));
            return out;
        }

        /** The whole tensor as one channel. */
        double whole(String name) {
            float[] w = weight(name), ga = g.grad(name), fa = g.hasFisher() ? g.fisher(name) : null;
            double sum = 0;
            for (int i = 0; i < w.length; i++) {
                double x = s(w[i], ga, fa, i);
                sum += v == Variant.VECTORIZE ? x : Math.abs(x);
            }
            return Math.abs(sum);
        }

        private double[] along(String name, boolean rows) {
            int[] sh = params.get(name) == null ? null : params.get(name).shape();
            if (sh == null || sh.length != 2) throw new IllegalArgumentException("the model has no matrix " + name);
            int r = sh[0], c = sh[1];
            float[] w = weight(name), ga = g.grad(name), fa = g.hasFisher() ? g.fisher(name) : null;
            double[] acc = new double[rows ? r : c];
            for (int i = 0; i < r; i++)
                for (int j = 0; j < c; j++) {
                    int k = i * c + j;
                    double x = s(w[k], ga, fa, k);
                    acc[rows ? i : j] += v == Variant.VECTORIZE ? x : Math.abs(x);
                }
            if (v == Variant.VECTORIZE) for (int i = 0; i < acc.length; i++) acc[i] = Math.abs(acc[i]);
            return acc;
        }
    }
}
