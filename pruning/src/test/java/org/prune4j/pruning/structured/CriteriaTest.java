package org.prune4j.pruning.structured;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Intervention;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;

/**
 * The criteria against their formulas written out plainly: activations captured through {@link Intervention}
 * (not the Observer hooks the criteria use), one window per forward pass (the criteria batch them), reductions
 * as literal loops. On the scalar kernels a window's activations do not depend on the batch it runs in, so the only
 * difference is the order of double sums: a relative tolerance of 1e-12 (a few thousand terms at 2^-53 each).
 */
class CriteriaTest {
    static final double TOL = 1e-12;

    /** Per-window captured activations of one model. */
    record Captured(List<float[][]> heads, List<float[][]> neurons, List<float[][][]> norms, List<float[][]> hidden) {}

    static Captured capture(LlamaModel m, int[][] windows) {
        int n = m.numLayers();
        Captured c = new Captured(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int[] w : windows) {
            float[][] heads = new float[n][], neurons = new float[n][], hidden = new float[n + 1][];
            float[][][] norms = new float[n][2][];
            m.setIntervention(new Intervention() {
                @Override public Var headOutputs(Tape tape, int l, Var x) { heads[l] = x.value().toFloatArray(); return x; }
                @Override public Var neurons(Tape tape, int l, Var x) { neurons[l] = x.value().toFloatArray(); return x; }
                @Override public Var normOutput(Tape tape, int l, boolean mlp, Var x) { norms[l][mlp ? 1 : 0] = x.value().toFloatArray(); return x; }
            });
            Tensor h = m.embed(new int[][] {w});
            hidden[0] = h.toFloatArray();
            for (int l = 0; l < n; l++) {
                h = m.forwardLayer(l, h, 0, null);
                hidden[l + 1] = h.toFloatArray();
            }
            m.setIntervention(null);
            c.heads.add(heads);
            c.neurons.add(neurons);
            c.norms.add(norms);
            c.hidden.add(hidden);
        }
        return c;
    }

    static double seqAgg(double[] v, Aggregation a) {
        int t = v.length;
        double s = 0, q = 0;
        for (double x : v) { s += x; q += x * x; }
        return switch (a) { case MEAN -> s / t; case L2 -> Math.sqrt(q); case VAR -> q / t - (s / t) * (s / t); };
    }

    static double batchAgg(double[] v, Aggregation a) {
        double s = 0, q = 0;
        for (double x : v) { s += x; q += x * x; }
        int n = v.length;
        return switch (a) {
            case MEAN -> s / n;
            case L2 -> Math.sqrt(q);
            case VAR -> { double mean = s / n, r = 0; for (double x : v) r += (x - mean) * (x - mean); yield r / n; }
        };
    }

    @Test
    void minitronScoresAreTheirFormulas() {
        qt().withExamples(8).forAll(integers().between(0, 2), integers().between(0, 2), integers().between(0, 2), integers().between(0, 100_000))
                .checkAssert((att, as, ab, seed) -> {
                    ModelConfig cfg = TinyModels.config(TinyModels.Attention.values()[att], att == 1, att == 2, 3);
                    LlamaModel m = TinyModels.model(cfg, seed);
                    int nw = 5, t = 6, n = 3, h = 4, d = 4, c = 16, inter = 12, hkv = cfg.numKvHeads(0);
                    Aggregation seq = Aggregation.values()[as], bat = Aggregation.values()[ab];
                    int[][] windows = TinyModels.windows(seed, nw, t, cfg.vocabSize());
                    Map<UnitKind, UnitScores> got = new Minitron().score(new ScoringInput(m, windows, 2, seq, bat, 0, Map.of("block", "2"), EquivalenceTest.QUIET),
                            EnumSet.allOf(UnitKind.class));
                    Captured cap = capture(m, windows);
                    for (int l = 0; l < n; l++) {
                        for (int q = 0; q < h; q++) { // head: ‖o_{b,t,h}‖₂
                            double[] perB = new double[nw];
                            for (int b = 0; b < nw; b++) {
                                double[] v = new double[t];
                                for (int p = 0; p < t; p++) {
                                    double s = 0;
                                    for (int i = 0; i < d; i++) { double x = cap.heads.get(b)[l][(p * h + q) * d + i]; s += x * x; }
                                    v[p] = Math.sqrt(s);
                                }
                                perB[b] = seqAgg(v, seq);
                            }
                            close(batchAgg(perB, bat), got.get(UnitKind.HEAD).row(l)[q], "head " + l + "." + q);
                        }
                        for (int g = 0; g < hkv; g++) { // KV group: ‖o_{b,t,g}‖₂ over its query heads
                            double[] perB = new double[nw];
                            for (int b = 0; b < nw; b++) {
                                double[] v = new double[t];
                                for (int p = 0; p < t; p++) {
                                    double s = 0;
                                    for (int q = g * (h / hkv); q < (g + 1) * (h / hkv); q++)
                                        for (int i = 0; i < d; i++) { double x = cap.heads.get(b)[l][(p * h + q) * d + i]; s += x * x; }
                                    v[p] = Math.sqrt(s);
                                }
                                perB[b] = seqAgg(v, seq);
                            }
                            close(batchAgg(perB, bat), got.get(UnitKind.KV_GROUP).row(l)[g], "group " + l + "." + g);
                        }
                        for (int i = 0; i < inter; i++) { // neuron: |silu(gate)·up|
                            double[] perB = new double[nw];
                            for (int b = 0; b < nw; b++) {
                                double[] v = new double[t];
                                for (int p = 0; p < t; p++) v[p] = Math.abs(cap.neurons.get(b)[l][p * inter + i]);
                                perB[b] = seqAgg(v, seq);
                            }
                            close(batchAgg(perB, bat), got.get(UnitKind.NEURON).row(l)[i], "neuron " + l + "." + i);
                        }
                    }
                    for (int j = 0; j < c; j++) { // channel: Σ over the 2n norm outputs of agg_b agg_t |x_c|
                        double want = 0;
                        for (int l = 0; l < n; l++)
                            for (int k = 0; k < 2; k++) {
                                double[] perB = new double[nw];
                                for (int b = 0; b < nw; b++) {
                                    double[] v = new double[t];
                                    for (int p = 0; p < t; p++) v[p] = Math.abs(cap.norms.get(b)[l][k][p * c + j]);
                                    perB[b] = seqAgg(v, seq);
                                }
                                want += batchAgg(perB, bat);
                            }
                        close(want, got.get(UnitKind.CHANNEL).row(0)[j], "channel " + j);
                    }
                    for (int l = 0; l < n; l++) // BI = 1 - mean cos(x_l, x_{l+1}); block of 2: mean arccos(cos(x_s, x_{s+2}))/π
                        close(1 - meanOver(cap, l, l + 1, false, nw, t, c), got.get(UnitKind.LAYER).row(0)[l], "BI " + l);
                    for (int s = 0; s + 2 <= n; s++) close(meanOver(cap, s, s + 2, true, nw, t, c), got.get(UnitKind.BLOCK).row(0)[s], "block " + s);
                });
    }

    static double meanOver(Captured cap, int from, int to, boolean angular, int nw, int t, int c) {
        double sum = 0;
        for (int b = 0; b < nw; b++)
            for (int p = 0; p < t; p++) {
                double xy = 0, xx = 0, yy = 0;
                for (int j = 0; j < c; j++) {
                    double x = cap.hidden.get(b)[from][p * c + j], y = cap.hidden.get(b)[to][p * c + j];
                    xy += x * y; xx += x * x; yy += y * y;
                }
                double cos = xy / Math.sqrt(xx * yy);
                sum += angular ? Math.acos(cos) / Math.PI : cos;
            }
        return sum / (nw * t);
    }

    static void close(double want, double got, String what) {
        assertEquals(want, got, TOL * Math.max(1, Math.abs(want)), what);
    }

    @Test
    void magnitudeIsTheL2NormOfEachUnitsWeights() {
        ModelConfig cfg = TinyModels.config(TinyModels.Attention.GQA, false, false, 2);
        LlamaModel m = TinyModels.model(cfg, 4);
        Map<UnitKind, UnitScores> s = new MagnitudeUnits().score(new ScoringInput(m, null, 1, null, null, 0, Map.of(), EquivalenceTest.QUIET),
                EnumSet.of(UnitKind.HEAD, UnitKind.KV_GROUP, UnitKind.NEURON, UnitKind.CHANNEL));
        for (int l = 0; l < 2; l++) {
            float[] q = m.layer(l).weight(Linear.Q).toFloatArray(), o = m.layer(l).weight(Linear.O).toFloatArray(), k = m.layer(l).weight(Linear.K).toFloatArray(),
                    v = m.layer(l).weight(Linear.V).toFloatArray(), g = m.layer(l).weight(Linear.GATE).toFloatArray(), u = m.layer(l).weight(Linear.UP).toFloatArray(),
                    dn = m.layer(l).weight(Linear.DOWN).toFloatArray();
            for (int h = 0; h < 4; h++) { // GQA: q rows + o columns (K/V stay with the group)
                double sq = 0;
                for (int r = h * 4; r < h * 4 + 4; r++) for (int j = 0; j < 16; j++) { sq += q[r * 16 + j] * (double) q[r * 16 + j]; sq += o[j * 16 + r] * (double) o[j * 16 + r]; }
                close(Math.sqrt(sq), s.get(UnitKind.HEAD).row(l)[h], "head");
            }
            for (int grp = 0; grp < 2; grp++) {
                double sq = 0;
                for (int r = grp * 8; r < grp * 8 + 8; r++) for (int j = 0; j < 16; j++) { sq += q[r * 16 + j] * (double) q[r * 16 + j]; sq += o[j * 16 + r] * (double) o[j * 16 + r]; }
                for (int r = grp * 4; r < grp * 4 + 4; r++) for (int j = 0; j < 16; j++) { sq += k[r * 16 + j] * (double) k[r * 16 + j]; sq += v[r * 16 + j] * (double) v[r * 16 + j]; }
                close(Math.sqrt(sq), s.get(UnitKind.KV_GROUP).row(l)[grp], "group");
            }
            for (int i = 0; i < 12; i++) {
                double sq = 0;
                for (int j = 0; j < 16; j++) sq += g[i * 16 + j] * (double) g[i * 16 + j] + u[i * 16 + j] * (double) u[i * 16 + j] + dn[j * 12 + i] * (double) dn[j * 12 + i];
                close(Math.sqrt(sq), s.get(UnitKind.NEURON).row(l)[i], "neuron");
            }
        }
    }

    @Test
    void randomIsSeededAndKindsAreIndependentStreams() {
        LlamaModel m = TinyModels.model(TinyModels.config(TinyModels.Attention.MHA, false, false, 2), 1);
        ScoringInput a = new ScoringInput(m, null, 1, null, null, 5, Map.of(), EquivalenceTest.QUIET), b = new ScoringInput(m, null, 1, null, null, 6, Map.of(), EquivalenceTest.QUIET);
        RandomUnits r = new RandomUnits();
        assertEquals(r.score(a, EnumSet.of(UnitKind.HEAD)).get(UnitKind.HEAD), r.score(a, EnumSet.of(UnitKind.HEAD, UnitKind.NEURON)).get(UnitKind.HEAD));
        assertNotEquals(r.score(a, EnumSet.of(UnitKind.HEAD)).get(UnitKind.HEAD), r.score(b, EnumSet.of(UnitKind.HEAD)).get(UnitKind.HEAD));
    }
}
