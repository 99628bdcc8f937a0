package org.prune4j.pruning.structured;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * Minitron's activation importance (Muralidharan et al. 2024, as NVIDIA Model Optimizer computes it), from one
 * forward pass of the dense model over the calibration windows, read through {@link Observer} hooks:
 * <ul>
 *   <li>head h: ‖o_{b,t,h}‖₂ of its attention output before o_proj; KV group g: ‖o_{b,t,g}‖₂ over its query heads;</li>
 *   <li>neuron i: |silu(gate)·up|_{b,t,i}, the input of down_proj;</li>
 *   <li>channel c: Σ over every layer's two RMSNorm outputs x of agg_b(agg_t |x_{b,t,c}|);</li>
 *   <li>reduced by agg_seq over t then agg_batch over b (default mean, then L2);</li>
 *   <li>layer: block importance BI_l = 1 − mean_{b,t} cos(x_in, x_out) (ShortGPT), or with option
 *       {@code depth-metric=loss} the LM-loss increase when the layer is skipped;</li>
 *   <li>block of n layers (option {@code block=n}, {@code --contiguous}): mean_{b,t} of the angular distance
 *       arccos(cos(x_s, x_{s+n}))/π between its input and output (Gromov et al. 2024).</li>
 * </ul>
 */
public final class Minitron implements StructuredCriterion {
    @Override public String name() { return "minitron"; }

    @Override public Set<UnitKind> kinds() { return EnumSet.allOf(UnitKind.class); }

    @Override public boolean needsCalibration() { return true; }

    @Override public Map<UnitKind, UnitScores> score(ScoringInput in, Set<UnitKind> kinds) {
        LlamaModel m = in.model();
        int n = m.numLayers(), c = m.config().hiddenSize(), nw = in.windows() == null ? 0 : in.windows().length;
        int blockLen = kinds.contains(UnitKind.BLOCK) ? Integer.parseInt(in.option("block", "0")) : 0;
        if (kinds.contains(UnitKind.BLOCK) && (blockLen < 1 || blockLen > n))
            throw new StructuredException("minitron: --contiguous needs a block of 1.." + n + " layers, got " + blockLen);
        boolean lossDepth = kinds.contains(UnitKind.LAYER) && in.option("depth-metric", "bi").equals("loss");
        SeqBatchStats[] heads = new SeqBatchStats[n], groups = new SeqBatchStats[n], neurons = new SeqBatchStats[n];
        SeqBatchStats[][] norms = new SeqBatchStats[n][2];
        for (int l = 0; l < n; l++) {
            if (kinds.contains(UnitKind.HEAD)) heads[l] = new SeqBatchStats("layer " + l + " attention output", nw, m.layer(l).numHeads());
            if (kinds.contains(UnitKind.KV_GROUP)) groups[l] = new SeqBatchStats("layer " + l + " attention output", nw, m.layer(l).numKvHeads());
            if (kinds.contains(UnitKind.NEURON)) neurons[l] = new SeqBatchStats("layer " + l + " MLP neurons", nw, m.layer(l).intermediateSize());
            if (kinds.contains(UnitKind.CHANNEL)) {
                norms[l][0] = new SeqBatchStats("layer " + l + " input_layernorm output", nw, c);
                norms[l][1] = new SeqBatchStats("layer " + l + " post_attention_layernorm output", nw, c);
            }
        }
        double[] cosSum = new double[n];
        double[] blockSum = new double[blockLen > 0 ? n - blockLen + 1 : 0];
        long[] tokens = {0};
        int[][][] batches = in.batches();
        int first = 0;
        long t0 = System.nanoTime();
        for (int bi = 0; bi < batches.length; bi++) {
            int[][] rows = batches[bi];
            int b0 = first, t = rows[0].length;
            Tensor[] boundary = new Tensor[n + 1];
            Observer obs = new Observer() {
                @Override public void headOutputs(int l, Tensor att) { // [B, T, H, D]
                    if (heads[l] == null && groups[l] == null) return;
                    float[] a = dense(att);
                    int b = att.size(0), h = att.size(2), d = att.size(3), per = h / m.layer(l).numKvHeads();
                    double[] g = new double[m.layer(l).numKvHeads()];
                    for (int w = 0; w < b; w++)
                        for (int p = 0; p < t; p++) {
                            java.util.Arrays.fill(g, 0);
                            for (int q = 0; q < h; q++) {
                                int base = ((w * t + p) * h + q) * d;
                                double s = 0;
                                for (int i = 0; i < d; i++) s += (double) a[base + i] * a[base + i];
                                if (heads[l] != null) heads[l].add(b0 + w, q, Math.sqrt(s));
                                g[q / per] += s;
                            }
                            if (heads[l] != null) heads[l].token(b0 + w);
                            if (groups[l] != null) {
                                for (int j = 0; j < g.length; j++) groups[l].add(b0 + w, j, Math.sqrt(g[j]));
                                groups[l].token(b0 + w);
                            }
                        }
                }

                @Override public void linearInput(int l, Linear which, Tensor x) { // [B*T, in]
                    SeqBatchStats s = switch (which) {
                        case DOWN -> neurons[l];
                        case Q -> norms[l][0];
                        case GATE -> norms[l][1];
                        default -> null;
                    };
                    if (s == null) return;
                    float[] a = dense(x);
                    int width = x.size(1);
                    for (int r = 0; r < x.size(0); r++) {
                        int w = b0 + r / t, base = r * width;
                        for (int u = 0; u < width; u++) s.add(w, u, Math.abs(a[base + u]));
                        s.token(w);
                    }
                }

                @Override public void layerInput(int l, Tensor x) { boundary[l] = x; }

                @Override public void layerOutput(int l, Tensor x) {
                    if (l == n - 1) boundary[n] = x;
                    if (kinds.contains(UnitKind.LAYER) && !lossDepth) cosSum[l] += cosineSum(boundary[l], x, "layer " + l + " input/output");
                }
            };
            m.logits(rows, obs);
            if (blockLen > 0)
                for (int s = 0; s + blockLen <= n; s++) blockSum[s] += angularSum(boundary[s], boundary[s + blockLen], "input/output of layers " + s + ".." + (s + blockLen - 1));
            tokens[0] += (long) rows.length * t;
            first += rows.length;
            double sec = (System.nanoTime() - t0) / 1e9;
            in.log().printf(java.util.Locale.ROOT, "minitron: batch %d/%d  %.1f s, ETA %.1f s%n", bi + 1, batches.length, sec, sec / (bi + 1) * (batches.length - bi - 1));
        }

        Map<UnitKind, UnitScores> out = new EnumMap<>(UnitKind.class);
        if (kinds.contains(UnitKind.HEAD)) out.put(UnitKind.HEAD, perLayer(UnitKind.HEAD, heads, in));
        if (kinds.contains(UnitKind.KV_GROUP)) out.put(UnitKind.KV_GROUP, perLayer(UnitKind.KV_GROUP, groups, in));
        if (kinds.contains(UnitKind.NEURON)) out.put(UnitKind.NEURON, perLayer(UnitKind.NEURON, neurons, in));
        if (kinds.contains(UnitKind.CHANNEL)) {
            double[] ch = new double[c];
            for (SeqBatchStats[] pair : norms)
                for (SeqBatchStats s : pair) {
                    double[] v = s.reduce(in.seq(), in.batchAgg());
                    for (int j = 0; j < c; j++) ch[j] += v[j];
                }
            out.put(UnitKind.CHANNEL, new UnitScores(UnitKind.CHANNEL, name(), new double[][] {ch}));
        }
        if (kinds.contains(UnitKind.LAYER)) {
            double[] bi = new double[n];
            if (lossDepth) bi = LayerSkipLoss.increase(m, in);
            else for (int l = 0; l < n; l++) bi[l] = 1 - cosSum[l] / tokens[0];
            out.put(UnitKind.LAYER, new UnitScores(UnitKind.LAYER, name(), new double[][] {bi}));
        }
        if (blockLen > 0) {
            for (int s = 0; s < blockSum.length; s++) blockSum[s] /= tokens[0];
            out.put(UnitKind.BLOCK, new UnitScores(UnitKind.BLOCK, name(), new double[][] {blockSum}));
        }
        return out;
    }

    private UnitScores perLayer(UnitKind kind, SeqBatchStats[] stats, ScoringInput in) {
        double[][] s = new double[stats.length][];
        for (int l = 0; l < stats.length; l++) s[l] = stats[l].reduce(in.seq(), in.batchAgg());
        return new UnitScores(kind, name(), s);
    }

    /** The values of a live tensor as a dense row-major array (a copy only when it is not one already). */
    static float[] dense(Tensor x) {
        return x.isDenseArray() && x.offset() == 0 ? x.array() : x.toFloatArray();
    }

    /** Σ over every token of cos(a_t, b_t), for hidden states [B, T, C]. */
    static double cosineSum(Tensor a, Tensor b, String what) {
        float[] x = dense(a), y = dense(b);
        int c = a.size(-1), tokens = x.length / c;
        double sum = 0;
        for (int r = 0; r < tokens; r++) sum += cos(x, y, r * c, c, what);
        return sum;
    }

    /** Σ over every token of arccos(cos(a_t, b_t)) / π. */
    static double angularSum(Tensor a, Tensor b, String what) {
        float[] x = dense(a), y = dense(b);
        int c = a.size(-1), tokens = x.length / c;
        double sum = 0;
        for (int r = 0; r < tokens; r++) sum += Math.acos(Math.max(-1, Math.min(1, cos(x, y, r * c, c, what)))) / Math.PI;
        return sum;
    }

    private static double cos(float[] x, float[] y, int base, int c, String what) {
        double xy = 0, xx = 0, yy = 0;
        for (int j = 0; j < c; j++) {
            xy += (double) x[base + j] * y[base + j];
            xx += (double) x[base + j] * x[base + j];
            yy += (double) y[base + j] * y[base + j];
        }
        double v = xy / Math.sqrt(xx * yy);
        if (!Double.isFinite(v)) throw new StructuredException("non-finite activation in the " + what + " (cosine " + v + ")");
        return v;
    }
}
