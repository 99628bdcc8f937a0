package org.prune4j.pruning.structured.scop;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.prune4j.autograd.AdamW;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.pruning.knockoff.Covariance;
import org.prune4j.pruning.knockoff.GaussianKnockoffs;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * SCOP (Tang et al. 2021, "Scientific Control for Reliable Neural Network Pruning") for a language model's neurons,
 * heads or channels: every unit is paired with a Gaussian model-X knockoff of its feature, a gate per unit mixes the
 * two, and the unit's importance W_j is how strongly the model prefers the real feature over its control.
 *
 * <ol>
 *   <li>One inference pass over the calibration windows collects each site's mean and Ledoit–Wolf covariance
 *       ({@link FeatureStats}); each site gets equicorrelated (group) knockoffs ({@link GaussianKnockoffs}).
 *   <li>GATE statistic: gates λ_j, initialised at 1/2 and parametrised directly (projected to [0, 1] after each
 *       Adam step: a sigmoid would slow every gate equally near the ends and add nothing here), are the only
 *       trainable parameters; Adam (AdamW with weight decay 0) trains them on the LM or KD loss for {@code steps}
 *       batches of {@code batch} calibration windows, fresh knockoffs every forward pass. W_j =
 *       ‖outgoing weights of j‖·(2λ_j − 1).
 *   <li>SWAP statistic: the gates stay at 1/2 and the gradient ∂L/∂λ_j = E[g·(x − x̃)] is averaged over the same
 *       batches; W_j = −∂L/∂λ_j, the first-order loss increase from replacing the unit's real feature by its knockoff
 *       (the conditional-randomisation idea to first order). It already carries the outgoing weights (g = Wᵀ dL/dy).
 * </ol>
 * Both statistics are antisymmetric under swapping x_j with x̃_j (the gates start symmetric, λ ↦ 1 − λ), so the
 * knockoff+ filter applies to them ({@link ScopSelection}).
 */
public final class Scop {
    private Scop() {}

    /** W per unit, the trained gates (1/2 for SWAP), and per-site knockoff diagnostics. */
    public record Result(UnitScores scores, double[][] gates, double[] gamma, double[] shrinkage, int[] dead, double seconds) {}

    /** Scores {@code cfg.kind()} units of {@code model} on the calibration windows; freezes the model's parameters. */
    public static Result score(LlamaModel model, int[][] windows, ScopConfig cfg, Consumer<String> log) {
        long t0 = System.nanoTime();
        UnitKind kind = cfg.kind();
        int sites = Sites.count(kind, model);

        // 1. feature statistics of the dense model and the knockoff model of every site
        FeatureStats stats = new FeatureStats(kind, model);
        for (int i = 0; i < windows.length; i += cfg.batch())
            model.logits(Arrays.copyOfRange(windows, i, Math.min(windows.length, i + cfg.batch())), stats);
        GaussianKnockoffs[] ko = new GaussianKnockoffs[sites];
        double[] gamma = new double[sites], shrink = new double[sites];
        int[] dead = new int[sites];
        for (int s = 0; s < sites; s++) {
            Covariance.Estimate est = stats.site(s).estimate();
            ko[s] = GaussianKnockoffs.equicorrelated(est, Sites.group(kind, model, s));
            gamma[s] = ko[s].gamma();
            shrink[s] = est.shrinkage();
            dead[s] = ko[s].deadCount() / ko[s].groupSize();
        }
        log.accept(String.format("scop: %s knockoffs for %d sites, Ledoit-Wolf shrinkage %.2f-%.2f, s/sigma^2 (gamma) %.2f-%.2f, %d dead units",
                kind.name().toLowerCase(), sites, min(shrink), max(shrink), min(gamma), max(gamma), Arrays.stream(dead).sum()));

        // 2. gates: one Var per row of scores, shared by the sites of that row (CHANNEL: every site)
        int rows = Sites.rows(kind, model);
        Var[] rowGates = new Var[rows];
        for (int r = 0; r < rows; r++)
            rowGates[r] = Var.param(Tensor.full(0.5f, Sites.units(kind, model, r)), "scop.gate." + r);
        Var[] siteGates = new Var[sites];
        for (int s = 0; s < sites; s++) siteGates[s] = rowGates[kind == UnitKind.CHANNEL ? 0 : s];
        model.setTrainable(false);
        KnockoffGates gates = new KnockoffGates(kind, model.kernels(), ko, siteGates, cfg.seed());
        boolean train = cfg.statistic() == ScopConfig.Statistic.GATE;
        AdamW adam = new AdamW(List.of(rowGates), v -> false, new AdamW.Settings(0.9, 0.999, 1e-8, 0), 1);
        double[][] gradSum = new double[rows][];
        for (int r = 0; r < rows; r++) gradSum[r] = new double[Sites.units(kind, model, r)];

        int[] order = shuffled(windows.length, cfg.seed());
        int next = 0;
        model.setIntervention(gates);
        try {
            for (int step = 0; step < cfg.steps(); step++) {
                int[][] batch = new int[Math.min(cfg.batch(), windows.length)][];
                for (int i = 0; i < batch.length; i++) {
                    batch[i] = windows[order[next]];
                    next = (next + 1) % order.length;
                }
                for (Var g : rowGates) g.zeroGrad();
                Tape tape = new Tape(model.kernels());
                Var loss = loss(model, tape, batch, cfg.loss(), gates);
                tape.backward(loss);
                if (train) {
                    adam.step(cfg.lr());
                    for (Var g : rowGates) clampUnit(g.value());
                } else {
                    for (int r = 0; r < rows; r++) {
                        float[] g = rowGates[r].grad().contiguous().toFloatArray();
                        for (int j = 0; j < g.length; j++) gradSum[r][j] += g[j];
                    }
                }
                if ((step + 1) % Math.max(1, cfg.steps() / 4) == 0 || step + 1 == cfg.steps())
                    log.accept(String.format("scop: step %d/%d loss %.4f", step + 1, cfg.steps(), loss.value().item()));
            }
        } finally {
            model.setIntervention(null);
        }

        // 3. W_j
        double[][] w = new double[rows][], lam = new double[rows][];
        for (int r = 0; r < rows; r++) {
            float[] l = rowGates[r].value().contiguous().toFloatArray();
            lam[r] = new double[l.length];
            w[r] = new double[l.length];
            double[] norm = Sites.outgoingNorms(kind, model, r);
            for (int j = 0; j < l.length; j++) {
                lam[r][j] = l[j];
                w[r][j] = train ? norm[j] * (2 * l[j] - 1) : -gradSum[r][j] / cfg.steps();
            }
        }
        String name = "scop-" + cfg.statistic().name().toLowerCase() + "-" + cfg.loss().name().toLowerCase();
        return new Result(new UnitScores(kind, name, w), lam, gamma, shrink, dead, (System.nanoTime() - t0) / 1e9);
    }

    /** Teacher logits are the dense model's (the intervention switched off for that forward). */
    private static Var loss(LlamaModel model, Tape tape, int[][] batch, ScopConfig.Loss loss, KnockoffGates gates) {
        if (loss == ScopConfig.Loss.LM) return model.loss(tape, batch, Observer.NONE);
        model.setIntervention(null);
        Tensor teacher = model.logits(batch);                                           // [B, T, V]
        model.setIntervention(gates);
        int n = batch.length * batch[0].length, v = model.config().vocabSize();
        Var student = tape.reshape(model.logits(tape, batch, Observer.NONE), n, v);    // [B·T, V]
        return tape.klDivergence(student, teacher.reshape(n, v), 1f);
    }

    private static void clampUnit(Tensor t) {
        float[] a = t.array();
        int off = (int) t.offset();
        for (int i = 0; i < t.numel(); i++) a[off + i] = Math.min(1f, Math.max(0f, a[off + i]));
    }

    private static int[] shuffled(int n, long seed) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) o[i] = i;
        SplittableRandom r = new SplittableRandom(seed ^ 0x5C0F);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    private static double min(double[] a) { return Arrays.stream(a).min().orElse(0); }

    private static double max(double[] a) { return Arrays.stream(a).max().orElse(0); }

}
