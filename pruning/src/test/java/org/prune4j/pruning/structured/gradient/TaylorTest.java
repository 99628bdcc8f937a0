package org.prune4j.pruning.structured.gradient;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.prune4j.autograd.Tape;
import org.prune4j.pruning.structured.Progress;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * Taylor scores against an oracle built from central differences of the loss, unit by unit, from the definition (which
 * weights a unit owns, how matrices combine), independently of {@link Taylor}'s code.
 *
 * <p>Error budget. Each finite-difference gradient entry is (L(w+h) − L(w−h)) / 2h of the F32 loss (h = 1e-2): its
 * truncation O(h²) and rounding ulp(L)/2h are each ~1e-5 for an O(1), smooth loss, so it is within δ = 2e-3 of the
 * tensor's largest gradient entry (the bound {@code TrainingPathTest} establishes for these models, a 100x margin). A
 * matrix's channel value Σ|g·w| or |Σ g·w| is then within e = δ·Σ|w| of the oracle's; sum adds the e's, mean averages
 * them, max and first keep the largest or the first, prod propagates them to first order with the other factors' bounds.
 * The autograd gradient uses batches of 2 over 5 windows and the oracle the loss of all 5 at once, so a wrong batch
 * weighting (a factor 5/2) cannot pass.
 */
class TaylorTest {
    static final float H = 1e-2f;

    /** The entries of one matrix that belong to a unit channel: (tensor, flat indices). */
    record Slice(String tensor, int[] idx) {}

    /** Finite-difference gradients, cached per (tensor, index), of the mean loss over {@code windows}. */
    static final class Fd {
        final LlamaModel m;
        final int[][] windows;
        final Map<String, Double> cache = new HashMap<>();
        final Map<String, Double> maxGrad = new HashMap<>();

        Fd(LlamaModel m, int[][] windows) {
            this.m = m;
            this.windows = windows;
        }

        double loss() { return m.loss(Tape.inference(m.kernels()), windows, Observer.NONE).value().item(); }

        double grad(String tensor, int i) {
            return cache.computeIfAbsent(tensor + "#" + i, key -> {
                float[] a = m.parameters().get(tensor).value().array();
                int off = (int) m.parameters().get(tensor).value().offset();
                float orig = a[off + i], up = orig + H, down = orig - H;
                a[off + i] = up;
                double lp = loss();
                a[off + i] = down;
                double lm = loss();
                a[off + i] = orig;
                return (lp - lm) / ((double) up - down);
            });
        }

        float w(String tensor, int i) {
            var t = m.parameters().get(tensor).value();
            return t.array()[(int) t.offset() + i];
        }
    }

    static int[] row(int r, int cols) {
        int[] ix = new int[cols];
        for (int j = 0; j < cols; j++) ix[j] = r * cols + j;
        return ix;
    }

    static int[] col(int c, int rows, int cols) {
        int[] ix = new int[rows];
        for (int i = 0; i < rows; i++) ix[i] = i * cols + c;
        return ix;
    }

    /** A head's channels: for d < D, q row, (k, v rows under MHA), o column of channel h·D + d. */
    static List<List<Slice>> head(LlamaModel m, int l, int h) {
        int c = m.config().hiddenSize(), d = m.config().headDim(), heads = m.layer(l).numHeads();
        boolean mha = heads == m.layer(l).numKvHeads();
        List<List<Slice>> ch = new ArrayList<>();
        for (int i = 0; i < d; i++) {
            int r = h * d + i;
            List<Slice> s = new ArrayList<>();
            s.add(new Slice(Linear.Q.weightName(l), row(r, c)));
            if (mha) {
                s.add(new Slice(Linear.K.weightName(l), row(r, c)));
                s.add(new Slice(Linear.V.weightName(l), row(r, c)));
            }
            s.add(new Slice(Linear.O.weightName(l), col(r, c, heads * d)));
            ch.add(s);
        }
        return ch;
    }

    /** A neuron's one channel: gate row, up row, down column. */
    static List<List<Slice>> neuron(LlamaModel m, int l, int n) {
        int c = m.config().hiddenSize(), inter = m.layer(l).intermediateSize();
        return List.of(List.of(new Slice(Linear.GATE.weightName(l), row(n, c)), new Slice(Linear.UP.weightName(l), row(n, c)),
                new Slice(Linear.DOWN.weightName(l), col(n, c, inter))));
    }

    /** The oracle score of a unit and its error bound, for the first-order variants. */
    static double[] oracle(Fd fd, List<List<Slice>> unit, boolean vectorize, Taylor.GroupAgg agg, Map<String, Double> delta) {
        double score = 0, bound = 0;
        for (List<Slice> channel : unit) {
            int n = channel.size();
            double[] a = new double[n], e = new double[n];
            for (int k = 0; k < n; k++) {
                Slice s = channel.get(k);
                double sum = 0, abs = 0, w1 = 0;
                for (int i : s.idx()) {
                    double gw = fd.grad(s.tensor(), i) * fd.w(s.tensor(), i);
                    sum += gw;
                    abs += Math.abs(gw);
                    w1 += Math.abs(fd.w(s.tensor(), i));
                }
                a[k] = vectorize ? Math.abs(sum) : abs;
                e[k] = delta.get(s.tensor()) * w1;
            }
            switch (agg) {
                case SUM -> { for (int k = 0; k < n; k++) { score += a[k]; bound += e[k]; } }
                case MEAN -> { for (int k = 0; k < n; k++) { score += a[k] / n; bound += e[k] / n; } }
                case MAX -> {
                    double mx = Double.NEGATIVE_INFINITY, me = 0;
                    for (int k = 0; k < n; k++) { mx = Math.max(mx, a[k]); me = Math.max(me, e[k]); }
                    score += mx;
                    bound += me;
                }
                case FIRST -> { score += a[0]; bound += e[0]; }
                case PROD -> {
                    double p = 1, b = 0;
                    for (int k = 0; k < n; k++) p *= a[k];
                    for (int k = 0; k < n; k++) {
                        double others = e[k];
                        for (int j = 0; j < n; j++) if (j != k) others *= a[j] + e[j];
                        b += others;
                    }
                    score += p;
                    bound += b;
                }
            }
        }
        return new double[] {score, bound};
    }

    /** δ per tensor: 2e-3 of the largest autograd gradient entry of that tensor. */
    static Map<String, Double> delta(LlamaModel m, CalibrationGradients g) {
        Map<String, Double> d = new HashMap<>();
        for (String n : m.parameters().keySet()) {
            double mx = 0;
            for (float x : g.grad(n)) mx = Math.max(mx, Math.abs(x));
            d.put(n, 2e-3 * mx);
        }
        return d;
    }

    @Test
    void firstOrderAndVectorizeScoresMatchFiniteDifferencesForEveryAggregation() {
        double worst = 0;
        for (int kind = 0; kind < 3; kind++) {
            LlamaModel m = TinyModels.model(kind, 40 + kind);
            int[][] w = TinyModels.windows(5, 6, 7 + kind);
            CalibrationGradients g = CalibrationGradients.compute(m, w, 2, false, Progress.NONE);
            Fd fd = new Fd(m, w);
            Map<String, Double> delta = delta(m, g);
            assertEquals(fd.loss(), g.meanLoss(), 1e-5, "the mean of the batch losses is the loss of all windows");
            for (Taylor.Variant v : List.of(Taylor.Variant.FIRST, Taylor.Variant.VECTORIZE))
                for (Taylor.GroupAgg agg : Taylor.GroupAgg.values()) {
                    Map<UnitKind, UnitScores> s = Taylor.scores(m, g, new Taylor.Settings(v, agg), EnumSet.of(UnitKind.HEAD, UnitKind.NEURON));
                    for (int[] lh : new int[][] {{0, 1}, {1, 3}}) {
                        double[] o = oracle(fd, head(m, lh[0], lh[1]), v == Taylor.Variant.VECTORIZE, agg, delta);
                        double got = s.get(UnitKind.HEAD).row(lh[0])[lh[1]];
                        assertEquals(o[0], got, o[1], "kind " + kind + " " + v + "/" + agg + " head " + lh[1] + " of layer " + lh[0]);
                        worst = Math.max(worst, Math.abs(got - o[0]) / o[1]);
                        // Σ|g·w| cannot cancel, so there the bound must be small beside the score (else the test proves nothing)
                        if (v == Taylor.Variant.FIRST && agg != Taylor.GroupAgg.PROD)
                            assertTrue(o[1] < 0.05 * o[0], "the bound must be tighter than the score: " + o[1] + " vs " + o[0]);
                    }
                    double[] o = oracle(fd, neuron(m, 1, 5), v == Taylor.Variant.VECTORIZE, agg, delta);
                    assertEquals(o[0], s.get(UnitKind.NEURON).row(1)[5], o[1], "kind " + kind + " " + v + "/" + agg + " neuron 5 of layer 1");
                }
        }
        System.err.printf("taylor vs finite differences: largest |error| / bound = %.3f%n", worst);
    }

    @Test
    void kvGroupAndChannelScoresMatchFiniteDifferences() {
        LlamaModel m = TinyModels.model(0, 3);                                    // GQA: 2 heads per group
        int[][] w = TinyModels.windows(4, 6, 9);
        CalibrationGradients g = CalibrationGradients.compute(m, w, 3, false, Progress.NONE);
        Fd fd = new Fd(m, w);
        Map<String, Double> delta = delta(m, g);
        int c = 16, d = 4;
        // KV group 1 of layer 0: k and v rows 4..7, and q rows / o columns of heads 2 and 3 (query head h reads group h / 2)
        List<List<Slice>> group = new ArrayList<>();
        for (int i = 0; i < d; i++) {
            int r = d + i;
            group.add(List.of(new Slice(Linear.K.weightName(0), row(r, c)), new Slice(Linear.V.weightName(0), row(r, c)),
                    new Slice(Linear.Q.weightName(0), concat(row(2 * d + i, c), row(3 * d + i, c))),
                    new Slice(Linear.O.weightName(0), concat(col(2 * d + i, c, 16), col(3 * d + i, c, 16)))));
        }
        // (for sum with first order, summing the q heads' |g·w| before the reduction equals summing their entries)
        double[] o = oracle(fd, group, false, Taylor.GroupAgg.SUM, delta);
        assertEquals(o[0], Taylor.scores(m, g, Taylor.Settings.DEFAULT, EnumSet.of(UnitKind.KV_GROUP)).get(UnitKind.KV_GROUP).row(0)[1], o[1]);
        // channel 5: embedding and lm_head columns, every norm entry, q/k/v/gate/up columns and o/down rows
        List<Slice> ch = new ArrayList<>();
        ch.add(new Slice("model.embed_tokens.weight", col(5, TinyModels.VOCAB, c)));
        for (int l = 0; l < 2; l++) {
            ch.add(new Slice("model.layers." + l + ".input_layernorm.weight", new int[] {5}));
            ch.add(new Slice(Linear.Q.weightName(l), col(5, 16, c)));
            ch.add(new Slice(Linear.K.weightName(l), col(5, 8, c)));
            ch.add(new Slice(Linear.V.weightName(l), col(5, 8, c)));
            ch.add(new Slice(Linear.O.weightName(l), row(5, 16)));
            ch.add(new Slice("model.layers." + l + ".post_attention_layernorm.weight", new int[] {5}));
            ch.add(new Slice(Linear.GATE.weightName(l), col(5, 12, c)));
            ch.add(new Slice(Linear.UP.weightName(l), col(5, 12, c)));
            ch.add(new Slice(Linear.DOWN.weightName(l), row(5, 12)));
        }
        ch.add(new Slice("model.norm.weight", new int[] {5}));
        ch.add(new Slice("lm_head.weight", col(5, TinyModels.VOCAB, c)));
        for (Taylor.GroupAgg agg : List.of(Taylor.GroupAgg.SUM, Taylor.GroupAgg.MAX, Taylor.GroupAgg.FIRST)) {
            double[] oc = oracle(fd, List.of(ch), false, agg, delta);
            assertEquals(oc[0], Taylor.scores(m, g, new Taylor.Settings(Taylor.Variant.FIRST, agg), EnumSet.of(UnitKind.CHANNEL)).get(UnitKind.CHANNEL).row(0)[5], oc[1], agg.toString());
        }
    }

    static int[] concat(int[] a, int[] b) {
        int[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void secondOrderAndMixUseThePerWindowFisher() {
        LlamaModel m = TinyModels.model(1, 5);
        int[][] w = TinyModels.windows(3, 6, 2);
        CalibrationGradients g = CalibrationGradients.compute(m, w, 8, true, Progress.NONE);
        // per-window finite-difference gradients g_j, F = Σ_j g_j² / N, g = Σ_j g_j / N
        List<Fd> per = new ArrayList<>();
        for (int[] win : w) per.add(new Fd(m, new int[][] {win}));
        Map<String, Double> delta = delta(m, g);
        List<Slice> unit = neuron(m, 0, 7).get(0);
        double second = 0, mix = 0, bSecond = 0, bMix = 0;
        for (Slice s : unit) {
            double[] sSecond = new double[1], sMix = new double[1];
            for (int i : s.idx()) {
                double f = 0, gm = 0, ef = 0, eg = 0, wv = per.get(0).w(s.tensor(), i);
                for (Fd p : per) {
                    double gj = p.grad(s.tensor(), i), dj = delta.get(s.tensor()) * w.length; // a window's gradient is up to N times the mean's scale
                    f += gj * gj / w.length;
                    gm += gj / w.length;
                    ef += (2 * Math.abs(gj) * dj + dj * dj) / w.length;
                    eg += dj / w.length;
                }
                sSecond[0] += Math.abs(wv * f * wv);
                sMix[0] += Math.abs(gm * wv - 0.5 * wv * f * wv);
                bSecond += wv * wv * ef;
                bMix += Math.abs(wv) * eg + 0.5 * wv * wv * ef;
            }
            second += sSecond[0];
            mix += sMix[0];
        }
        double gotSecond = Taylor.scores(m, g, new Taylor.Settings(Taylor.Variant.SECOND, Taylor.GroupAgg.SUM), EnumSet.of(UnitKind.NEURON)).get(UnitKind.NEURON).row(0)[7];
        double gotMix = Taylor.scores(m, g, new Taylor.Settings(Taylor.Variant.MIX, Taylor.GroupAgg.SUM), EnumSet.of(UnitKind.NEURON)).get(UnitKind.NEURON).row(0)[7];
        assertEquals(second, gotSecond, bSecond);
        assertEquals(mix, gotMix, bMix);
        assertTrue(bSecond < 0.1 * second && bMix < 0.1 * mix, "bounds " + bSecond + ", " + bMix + " must be tighter than the scores " + second + ", " + mix);
        // the Fisher pass's mean gradient equals the batched one (same sums in another order: F32 rounding only)
        CalibrationGradients batched = CalibrationGradients.compute(m, w, 2, false, Progress.NONE);
        float[] a = g.grad(Linear.UP.weightName(0)), b = batched.grad(Linear.UP.weightName(0));
        for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-5 * (1 + Math.abs(b[i])));
    }

    @Test
    void layerScoresSumEveryWeightOfTheLayerAndTheModelIsLeftAsItWas() {
        LlamaModel m = TinyModels.model(0, 8);
        int[][] w = TinyModels.windows(3, 5, 1);
        float[] before = m.logits(w).toFloatArray();
        m.layer(0).weightVar(Linear.Q).setFrozen(true);
        CalibrationGradients g = CalibrationGradients.compute(m, w, 2, false, Progress.NONE);
        assertTrue(!m.layer(0).weightVar(Linear.Q).requiresGrad() && m.layer(0).weightVar(Linear.K).requiresGrad(), "frozen states restored");
        assertNull(m.layer(0).weightVar(Linear.K).grad(), "gradients cleared");
        assertArrayEquals(before, m.logits(w).toFloatArray());
        double want = 0;
        for (Map.Entry<String, org.prune4j.autograd.Var> e : m.parameters().entrySet()) {
            if (!e.getKey().startsWith("model.layers.1.") || e.getKey().endsWith(".bias")) continue;
            float[] ga = g.grad(e.getKey()), wa = e.getValue().value().toFloatArray();
            for (int i = 0; i < wa.length; i++) want += Math.abs((double) ga[i] * wa[i]);
        }
        double got = Taylor.scores(m, g, Taylor.Settings.DEFAULT, EnumSet.of(UnitKind.LAYER)).get(UnitKind.LAYER).row(0)[1];
        assertEquals(want, got, 1e-12 * want, "the same double sums");
    }
}
