package org.prune4j.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.io.data.Windows;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.calibration.CalibrationData;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;
import org.prune4j.pruning.structured.scop.Scop;
import org.prune4j.pruning.structured.scop.ScopConfig;
import org.prune4j.pruning.structured.scop.ScopSelection;
import org.prune4j.pruning.structured.scop.UnitMask;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.Intervention;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;
import org.prune4j.transformer.Perplexity;

/**
 * The SCOP study of the README: stories260K in-domain, neurons 172 -> 128 and heads 8 -> 4 per layer, SCOP's
 * variants against random selection (5 seeds), outgoing-weight magnitude and in-process Minitron-style activation
 * and first-order Taylor baselines (evaluated by masking), the --fdr 0.1 noise counts, and the kept-set overlap over
 * 5 calibration seeds. {@code java ... ScopStudy MODEL_DIR SHARED_TEXT_DIR [steps lr]}.
 */
public final class ScopStudy {
    private ScopStudy() {}

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]), text = Path.of(args[1]);
        String what = args.length > 2 ? args[2] : "all";
        Kernels k = new VectorKernels(Runtime.getRuntime().availableProcessors());
        Tokenizer tok = Tokenizers.load(model);
        LlamaModel dense = LlamaModel.load(model, k);
        int vocab = dense.config().vocabSize();
        int[] train = CalibrationData.tokens(text.resolve("tinystories-train-2mib.txt"), tok, "<|endoftext|>", vocab);
        int[] valid = CalibrationData.tokens(text.resolve("tinystories-valid-201.txt"), tok, "<|endoftext|>", vocab);
        int[][] calib = Windows.first(train, 32, 128);
        int[][] eval = Windows.first(valid, 0, 128);
        System.out.printf("dense ppl %.4f on %d windows of 128%n", Perplexity.evaluate(dense, eval, 16, null).ppl(), eval.length);
        for (UnitKind kind : new UnitKind[] {UnitKind.NEURON, UnitKind.HEAD}) {
            if (!what.equals("all") && !what.equalsIgnoreCase(kind.name())) continue;
            int keep = kind == UnitKind.NEURON ? 128 : 4;
            System.out.printf("%n== %s: keep %d per layer ==%n", kind, keep);
            double[] rnd = new double[5];
            for (int s = 0; s < 5; s++) rnd[s] = evalKept(model, k, kind, randomKeep(dense, kind, keep, s), eval);
            System.out.printf("%-22s ppl %.4f (seeds: %s)%n", "random (mean of 5)", Arrays.stream(rnd).average().orElseThrow(), Arrays.toString(round(rnd)));
            Map<String, UnitScores> crit = new LinkedHashMap<>();
            crit.put("magnitude", magnitude(dense, kind));
            crit.put("minitron (act.)", minitron(LlamaModel.load(model, k), kind, calib));
            crit.put("taylor (1st order)", taylor(LlamaModel.load(model, k), kind, calib));
            for (ScopConfig.Statistic st : ScopConfig.Statistic.values())
                for (ScopConfig.Loss loss : ScopConfig.Loss.values()) {
                    ScopConfig cfg = ScopConfig.defaults(kind).withStatistic(st).withLoss(loss);
                    Scop.Result r = Scop.score(LlamaModel.load(model, k), calib, cfg, s -> {});
                    crit.put(r.scores().criterion(), r.scores());
                    ScopSelection.Plan plan = ScopSelection.fdr(r.scores(), 0.1, true);
                    System.out.printf("%-22s %.1f s; --fdr 0.1 noise per layer %s%n", r.scores().criterion(), r.seconds(), Arrays.toString(plan.noise()));
                }
            for (var e : crit.entrySet())
                System.out.printf("%-22s ppl %.4f%n", e.getKey(), evalKept(model, k, kind, topKeep(e.getValue(), keep), eval));
        }
    }

    static double[] round(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = Math.round(a[i] * 100) / 100.0;
        return r;
    }

    static double evalKept(Path dir, Kernels k, UnitKind kind, int[][] kept, int[][] eval) throws Exception {
        LlamaModel m = LlamaModel.load(dir, k);
        UnitMask.apply(m, kind, kept);
        return Perplexity.evaluate(m, eval, 16, null).ppl();
    }

    static int units(LlamaModel m, UnitKind kind, int l) {
        return kind == UnitKind.NEURON ? m.layer(l).intermediateSize() : m.layer(l).numHeads();
    }

    static int[][] randomKeep(LlamaModel m, UnitKind kind, int keep, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] kept = new int[m.numLayers()][];
        for (int l = 0; l < kept.length; l++) {
            double[] s = new double[units(m, kind, l)];
            for (int j = 0; j < s.length; j++) s[j] = r.nextDouble();
            kept[l] = ScopSelection.top(s, keep);
        }
        return kept;
    }

    static int[][] topKeep(UnitScores s, int keep) {
        int[][] kept = new int[s.rows()][];
        for (int l = 0; l < kept.length; l++) kept[l] = ScopSelection.top(s.row(l), keep);
        return kept;
    }

    /** ‖outgoing weights‖ alone (the factor SCOP multiplies its gate by). */
    static UnitScores magnitude(LlamaModel m, UnitKind kind) {
        double[][] s = new double[m.numLayers()][];
        for (int l = 0; l < s.length; l++) {
            Tensor w = m.layer(l).weight(kind == UnitKind.NEURON ? org.prune4j.transformer.Linear.DOWN : org.prune4j.transformer.Linear.O);
            int out = w.size(0), in = w.size(1), g = kind == UnitKind.NEURON ? 1 : m.layer(l).headDim();
            float[] a = w.contiguous().toFloatArray();
            s[l] = new double[in / g];
            for (int r = 0; r < out; r++) for (int c = 0; c < in; c++) s[l][c / g] += a[r * in + c] * (double) a[r * in + c];
        }
        return new UnitScores(kind, "magnitude", s);
    }

    /**
     * Minitron-style activation importance (Muralidharan et al. 2024), in process: per window the mean over positions
     * of |a_j| (neurons) or ‖head output‖₂ (heads), then the L2 norm over windows.
     */
    static UnitScores minitron(LlamaModel m, UnitKind kind, int[][] calib) {
        int layers = m.numLayers();
        double[][] s = new double[layers][];
        for (int l = 0; l < layers; l++) s[l] = new double[units(m, kind, l)];
        for (int[] w : calib) {
            double[][] mean = new double[layers][];
            for (int l = 0; l < layers; l++) mean[l] = new double[units(m, kind, l)];
            m.logits(new int[][] {w}, new Observer() {
                @Override public void linearInput(int layer, org.prune4j.transformer.Linear which, Tensor x) {
                    if (kind != UnitKind.NEURON || which != org.prune4j.transformer.Linear.DOWN) return;
                    float[] a = x.contiguous().toFloatArray();
                    int p = x.size(1), n = x.size(0);
                    for (int i = 0; i < n; i++) for (int j = 0; j < p; j++) mean[layer][j] += Math.abs(a[i * p + j]) / n;
                }

                @Override public void headOutputs(int layer, Tensor h) {
                    if (kind != UnitKind.HEAD) return;
                    int t = h.size(1), heads = h.size(2), d = h.size(3);
                    float[] a = h.contiguous().toFloatArray();
                    for (int i = 0; i < t; i++)
                        for (int hh = 0; hh < heads; hh++) {
                            double q = 0;
                            for (int e = 0; e < d; e++) q += a[(i * heads + hh) * d + e] * (double) a[(i * heads + hh) * d + e];
                            mean[layer][hh] += Math.sqrt(q) / t;
                        }
                }
            });
            for (int l = 0; l < layers; l++) for (int j = 0; j < s[l].length; j++) s[l][j] += mean[l][j] * mean[l][j];
        }
        for (double[] r : s) for (int j = 0; j < r.length; j++) r[j] = Math.sqrt(r[j]);
        return new UnitScores(kind, "minitron", s);
    }

    /**
     * First-order Taylor importance, in process: |Σ_positions g·a| per unit, the predicted change of the calibration
     * loss when the unit's output is zeroed, from the knockoff gate with x̃ = 0 and λ = 1 (dλ = Σ g·x).
     */
    static UnitScores taylor(LlamaModel m, UnitKind kind, int[][] calib) {
        int layers = m.numLayers();
        m.setTrainable(false);
        Var[] lam = new Var[layers];
        for (int l = 0; l < layers; l++) lam[l] = Var.param(Tensor.full(1f, units(m, kind, l)), "taylor." + l);
        m.setIntervention(new Intervention() {
            @Override public Var neurons(Tape tape, int layer, Var act) {
                return kind == UnitKind.NEURON ? gate(tape, act, lam[layer], 1) : act;
            }

            @Override public Var headOutputs(Tape tape, int layer, Var h) {
                return kind == UnitKind.HEAD ? gate(tape, h, lam[layer], h.size(3)) : h;
            }

            Var gate(Tape tape, Var x, Var l, int group) {
                int p = l.size(0) * group, n = (int) (x.value().numel() / p);
                Var flat = tape.reshape(x, n, p);
                return tape.reshape(tape.knockoffGate(flat, Var.constant(Tensor.zeros(n, p)), l, group), x.shape());
            }
        });
        for (int i = 0; i < calib.length; i += 8) {
            Tape tape = new Tape(m.kernels());
            tape.backward(m.loss(tape, Arrays.copyOfRange(calib, i, Math.min(calib.length, i + 8)), Observer.NONE));
        }
        m.setIntervention(null);
        double[][] s = new double[layers][];
        for (int l = 0; l < layers; l++) {
            float[] g = lam[l].grad().contiguous().toFloatArray();
            s[l] = new double[g.length];
            for (int j = 0; j < g.length; j++) s[l][j] = Math.abs(g[j]);
        }
        return new UnitScores(kind, "taylor", s);
    }

}
