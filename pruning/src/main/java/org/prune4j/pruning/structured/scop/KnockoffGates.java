package org.prune4j.pruning.structured.scop;

import java.util.SplittableRandom;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.pruning.knockoff.GaussianKnockoffs;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.tensor.BinaryOp;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Intervention;

/**
 * SCOP's control group inside the model: at every site the live features x [N, p] get fresh knockoffs
 * x̃ = x·A + b + Z·C (the site's Gaussian model, Z ~ N(0, I) from a seeded stream), and the layer reads
 * x̂ = λ ⊙ x + (1 − λ) ⊙ x̃ with one gate per unit. The knockoff is sampled from the live x and then treated as
 * data (no gradient flows through x̃ into earlier layers): it is the control, not part of the model.
 */
final class KnockoffGates implements Intervention {
    private final UnitKind kind;
    private final Kernels k;
    private final Tensor[] a, b, c;
    private final int[] group;
    private final Var[] gates;           // per site (CHANNEL: one Var shared by every site)
    private final SplittableRandom rng;

    KnockoffGates(UnitKind kind, Kernels k, GaussianKnockoffs[] models, Var[] gates, long seed) {
        this.kind = kind;
        this.k = k;
        int n = models.length;
        a = new Tensor[n];
        b = new Tensor[n];
        c = new Tensor[n];
        group = new int[n];
        for (int s = 0; s < n; s++) {
            a[s] = f32(models[s].a());
            c[s] = f32(models[s].c());
            double[] bv = models[s].b();
            float[] bf = new float[bv.length];
            for (int j = 0; j < bf.length; j++) bf[j] = (float) bv[j];
            b[s] = Tensor.of(bf, bf.length);
            group[s] = models[s].groupSize();
        }
        this.gates = gates;
        this.rng = new SplittableRandom(seed);
    }

    private static Tensor f32(double[][] m) {
        int p = m.length, q = m[0].length;
        float[] f = new float[p * q];
        for (int i = 0; i < p; i++) for (int j = 0; j < q; j++) f[i * q + j] = (float) m[i][j];
        return Tensor.of(f, p, q);
    }

    /** x̃ [..., p] for live features x [..., p] at site s. */
    Tensor knockoff(int s, Tensor x) {
        int p = a[s].size(0), n = (int) (x.numel() / p);
        Tensor x2 = x.contiguous().reshape(n, p);
        float[] z = new float[n * p];
        for (int i = 0; i < z.length; i++) z[i] = (float) gaussian();
        Tensor xt = k.add(k.binary(BinaryOp.ADD, k.matmul(x2, a[s]), b[s]), k.matmul(Tensor.of(z, n, p), c[s])); // [N, p]
        return xt.reshape(x.shape());
    }

    // Marsaglia's polar method on a SplittableRandom (java.util.Random's nextGaussian is synchronized and slower)
    private double spare;
    private boolean hasSpare;

    private double gaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spare;
        }
        double u, v, s;
        do {
            u = 2 * rng.nextDouble() - 1;
            v = 2 * rng.nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.sqrt(-2 * Math.log(s) / s);
        spare = v * f;
        hasSpare = true;
        return u * f;
    }

    private Var gate(Tape tape, int s, Var x) {
        int[] shape = x.shape();
        int p = a[s].size(0);
        Var flat = tape.reshape(x, (int) (x.value().numel() / p), p);                  // [N, p]
        Var xt = Var.constant(knockoff(s, flat.value()));
        return tape.reshape(tape.knockoffGate(flat, xt, gates[s], group[s]), shape);
    }

    @Override public Var neurons(Tape tape, int layer, Var act) {
        return kind == UnitKind.NEURON ? gate(tape, layer, act) : act;                 // [B, T, I]
    }

    @Override public Var headOutputs(Tape tape, int layer, Var perHead) {
        return kind == UnitKind.HEAD ? gate(tape, layer, perHead) : perHead;           // [B, T, H, D]
    }

    @Override public Var normOutput(Tape tape, int layer, boolean mlp, Var h) {
        return kind == UnitKind.CHANNEL ? gate(tape, 2 * layer + (mlp ? 1 : 0), h) : h; // [B, T, C]
    }
}
