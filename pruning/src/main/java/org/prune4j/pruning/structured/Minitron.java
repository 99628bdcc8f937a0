package org.prune4j.pruning.structured;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.prune4j.io.config.ModelConfig;
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

    /** Every kind streams but the loss depth metric, which runs the whole model once per skipped layer. */
    @Override public boolean streams(Set<UnitKind> kinds, Map<String, String> options) {
        return !(kinds.contains(UnitKind.LAYER) && options.getOrDefault("depth-metric", "bi").equals("loss"));
    }

    @Override public Map<UnitKind, UnitScores> score(ScoringInput in, Set<UnitKind> kinds) {
        ModelConfig cfg = in.config();
        int n = cfg.numLayers(), c = cfg.hiddenSize(), nw = in.windows() == null ? 0 : in.windows().length;
        int blockLen = kinds.contains(UnitKind.BLOCK) ? Integer.parseInt(in.option("block", "0")) : 0;
        if (kinds.contains(UnitKind.BLOCK) && (blockLen < 1 || blockLen > n))
            throw new StructuredException("minitron: --contiguous needs a block of 1.." + n + " layers, got " + blockLen);
        boolean lossDepth = kinds.contains(UnitKind.LAYER) && in.option("depth-metric", "bi").equals("loss");
        if (lossDepth && in.model() == null)
            throw new StructuredException("minitron: --depth-metric loss runs the whole model once per skipped layer and needs it in memory; use bi, or a larger heap");
        Stats st = new Stats(cfg, kinds, nw, blockLen, lossDepth);
        if (in.model() != null) inMemory(in, st);
        else streamed(in, st);
        return st.scores(in, lossDepth);
    }

    /** The whole model in memory: one forward pass per batch of windows. */
    private static void inMemory(ScoringInput in, Stats st) {
        LlamaModel m = in.model();
        int n = st.n;
        int[][][] batches = in.batches();
        int first = 0;
        long t0 = System.nanoTime();
        for (int bi = 0; bi < batches.length; bi++) {
            int[][] rows = batches[bi];
            Tensor[] boundary = new Tensor[n + 1];
            m.logits(rows, st.observer(first, rows[0].length, boundary));
            if (st.blockLen > 0)
                for (int s = 0; s + st.blockLen <= n; s++) st.block(s, boundary[s], boundary[s + st.blockLen]);
            st.tokens += (long) rows.length * rows[0].length;
            first += rows.length;
            double sec = (System.nanoTime() - t0) / 1e9;
            in.log().printf(java.util.Locale.ROOT, "minitron: batch %d/%d  %.1f s, ETA %.1f s%n", bi + 1, batches.length, sec, sec / (bi + 1) * (batches.length - bi - 1));
        }
    }

    /**
     * One decoder layer at a time from the mapped checkpoint: the residual stream of every window [N, T, C] is held,
     * layer l is loaded, run over it batch by batch (the same batches, so every statistic adds the same terms in the
     * same order as in memory: the same scores, bit for bit), and dropped. Blocks of n layers keep the last n + 1
     * boundaries.
     */
    private static void streamed(ScoringInput in, Stats st) {
        LayerStream ls = in.stream();
        int n = st.n;
        int[][][] batches = in.batches();
        Tensor[] hidden = new Tensor[batches.length];
        int[] first = new int[batches.length];
        for (int bi = 0, f = 0; bi < batches.length; f += batches[bi].length, bi++) {
            hidden[bi] = ls.embed(batches[bi]);
            first[bi] = f;
            st.tokens += (long) batches[bi].length * batches[bi][0].length;
        }
        Tensor[][] bounds = st.blockLen > 0 ? new Tensor[batches.length][n + 1] : null;
        if (bounds != null) for (int bi = 0; bi < batches.length; bi++) bounds[bi][0] = hidden[bi];
        long t0 = System.nanoTime();
        for (int l = 0; l < n; l++) {
            LayerStream.Layer layer = ls.layer(l);
            for (int bi = 0; bi < batches.length; bi++) {
                hidden[bi] = layer.forward(hidden[bi], st.observer(first[bi], batches[bi][0].length, new Tensor[n + 1]));
                if (bounds != null) bounds[bi][l + 1] = hidden[bi];
            }
            int s = l + 1 - st.blockLen;
            if (bounds != null && s >= 0)
                for (Tensor[] b : bounds) {
                    st.block(s, b[s], b[l + 1]);
                    b[s] = null;
                }
            double sec = (System.nanoTime() - t0) / 1e9;
            in.log().printf(java.util.Locale.ROOT, "minitron: layer %d/%d (streamed from the checkpoint)  %.1f s, ETA %.1f s%n", l + 1, n, sec,
                    sec / (l + 1) * (n - l - 1));
        }
    }

    /** The statistics of one scoring run, filled by {@link #observer} and reduced by {@link #scores}. */
    private final class Stats {
        final ModelConfig cfg;
        final Set<UnitKind> kinds;
        final int n, c, blockLen;
        final boolean lossDepth;
        final SeqBatchStats[] heads, groups, neurons;
        final SeqBatchStats[][] norms;
        final double[] cosSum, blockSum;
        long tokens;

        Stats(ModelConfig cfg, Set<UnitKind> kinds, int nw, int blockLen, boolean lossDepth) {
            this.cfg = cfg;
            this.kinds = kinds;
            this.n = cfg.numLayers();
            this.c = cfg.hiddenSize();
            this.blockLen = blockLen;
            this.lossDepth = lossDepth;
            heads = new SeqBatchStats[n];
            groups = new SeqBatchStats[n];
            neurons = new SeqBatchStats[n];
            norms = new SeqBatchStats[n][2];
            for (int l = 0; l < n; l++) {
                if (kinds.contains(UnitKind.HEAD)) heads[l] = new SeqBatchStats("layer " + l + " attention output", nw, cfg.numHeads(l));
                if (kinds.contains(UnitKind.KV_GROUP)) groups[l] = new SeqBatchStats("layer " + l + " attention output", nw, cfg.numKvHeads(l));
                if (kinds.contains(UnitKind.NEURON)) neurons[l] = new SeqBatchStats("layer " + l + " MLP neurons", nw, cfg.intermediateSize(l));
                if (kinds.contains(UnitKind.CHANNEL)) {
                    norms[l][0] = new SeqBatchStats("layer " + l + " input_layernorm output", nw, c);
                    norms[l][1] = new SeqBatchStats("layer " + l + " post_attention_layernorm output", nw, c);
                }
            }
            cosSum = new double[n];
            blockSum = new double[blockLen > 0 ? n - blockLen + 1 : 0];
        }

        /** Adds the angular distance between a block's input and output hidden states [B, T, C]. */
        void block(int s, Tensor in, Tensor out) {
            blockSum[s] += angularSum(in, out, "input/output of layers " + s + ".." + (s + blockLen - 1));
        }

        /** The observer of a forward pass over windows b0.. of t tokens; {@code boundary} collects each layer's input. */
        Observer observer(int b0, int t, Tensor[] boundary) {
            return new Observer() {
                @Override public void headOutputs(int l, Tensor att) { // [B, T, H, D]
                    if (heads[l] == null && groups[l] == null) return;
                    float[] a = dense(att);
                    int b = att.size(0), h = att.size(2), d = att.size(3), per = h / cfg.numKvHeads(l);
                    double[] g = new double[cfg.numKvHeads(l)];
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
        }

        Map<UnitKind, UnitScores> scores(ScoringInput in, boolean lossDepth) {
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
                if (lossDepth) bi = LayerSkipLoss.increase(in.model(), in);
                else for (int l = 0; l < n; l++) bi[l] = 1 - cosSum[l] / tokens;
                out.put(UnitKind.LAYER, new UnitScores(UnitKind.LAYER, name(), new double[][] {bi}));
            }
            if (blockLen > 0) {
                for (int s = 0; s < blockSum.length; s++) blockSum[s] /= tokens;
                out.put(UnitKind.BLOCK, new UnitScores(UnitKind.BLOCK, name(), new double[][] {blockSum}));
            }
            return out;
        }
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
