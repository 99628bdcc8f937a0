package org.prune4j.distill;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;

/**
 * The distillation losses (forward KL, reverse KL, hidden cosine) and their gradients against a double-precision
 * reference and its central differences.
 *
 * <p>Tolerances. The reference runs in double: with h = 1e-5 its central difference is exact to truncation
 * h^2 |f'''| ~ 1e-10 plus rounding 1e-16 / h ~ 1e-11, far below what is tested. The op runs in F32: each log-softmax
 * entry carries ~ulp(|z| + ln V) ~ 1e-6 absolute error for |z| <= 5, so the loss is within ~1e-6 * T^2 and each gradient
 * entry (a difference of probabilities times T / N) within ~1e-6 of the largest one. Bounds: 1e-5 (value, times T^2)
 * and 1e-4 of the largest gradient entry: 10-100x above rounding, while a wrong rule (a lost T, a sign, a missing
 * row mean) errs by O(1).
 */
class KdLossTest {
    static final Kernels[] BACKENDS = {ScalarKernels.INSTANCE, new VectorKernels(2)};

    enum Kind { FORWARD, REVERSE }

    /** tau^2 / N * sum_i KL (forward: p_T || p_S; reverse: p_S || p_T), all in double. */
    static double reference(double[] s, double[] t, int n, int v, double tau, Kind kind) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double[] ls = logSoftmax(s, i, v, tau), lt = logSoftmax(t, i, v, tau);
            for (int j = 0; j < v; j++) {
                if (kind == Kind.FORWARD) sum += Math.exp(lt[j]) * (lt[j] - ls[j]);
                else sum += Math.exp(ls[j]) * (ls[j] - lt[j]);
            }
        }
        return tau * tau * sum / n;
    }

    static double[] logSoftmax(double[] z, int row, int v, double tau) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < v; j++) max = Math.max(max, z[row * v + j] / tau);
        double se = 0;
        for (int j = 0; j < v; j++) se += Math.exp(z[row * v + j] / tau - max);
        double lse = max + Math.log(se);
        double[] out = new double[v];
        for (int j = 0; j < v; j++) out[j] = z[row * v + j] / tau - lse;
        return out;
    }

    static float[] randn(long seed, int n, double std) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * std);
        return a;
    }

    static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static Var op(Tape tape, Kind kind, Var s, Tensor t, float tau) {
        return kind == Kind.FORWARD ? tape.klDivergence(s, t, tau) : tape.reverseKl(s, t, tau);
    }

    @Test
    void lossAndGradientMatchDoublePrecisionFiniteDifferences() {
        int n = 6, v = 37;
        for (Kernels k : BACKENDS)
            for (Kind kind : Kind.values())
                for (float tau : new float[] {1f, 2f, 0.5f}) {
                    float[] sa = randn(1, n * v, 2), ta = randn(2, n * v, 2);
                    Var s = Var.param(Tensor.of(sa.clone(), n, v), "student");
                    Tensor t = Tensor.of(ta, n, v);
                    Tape tape = new Tape(k);
                    Var loss = op(tape, kind, s, t, tau);
                    tape.backward(loss);
                    float[] g = s.grad().toFloatArray();

                    double[] sd = widen(sa), td = widen(ta);
                    double want = reference(sd, td, n, v, tau, kind);
                    assertEquals(want, loss.value().item(), 1e-5 * tau * tau, kind + " value at tau " + tau + " on " + k);
                    double h = 1e-5, maxG = 0, maxErr = 0;
                    for (int i = 0; i < n * v; i++) {
                        double o = sd[i];
                        sd[i] = o + h;
                        double up = reference(sd, td, n, v, tau, kind);
                        sd[i] = o - h;
                        double down = reference(sd, td, n, v, tau, kind);
                        sd[i] = o;
                        double num = (up - down) / (2 * h);
                        maxG = Math.max(maxG, Math.abs(num));
                        maxErr = Math.max(maxErr, Math.abs(num - g[i]));
                    }
                    assertTrue(maxG > 0);
                    assertTrue(maxErr < 1e-4 * maxG, kind + " gradient at tau " + tau + " on " + k + ": max err " + maxErr + " of max " + maxG);
                }
    }

    @Test
    void divergenceOfADistributionFromItselfIsExactlyZero() {
        int n = 5, v = 64;
        for (Kernels k : BACKENDS)
            for (Kind kind : Kind.values()) {
                float[] a = randn(3, n * v, 3);
                Var s = Var.param(Tensor.of(a.clone(), n, v), "student");
                Tape tape = new Tape(k);
                Var loss = op(tape, kind, s, Tensor.of(a, n, v), 1.5f);
                tape.backward(loss);
                assertEquals(0f, loss.value().item(), kind + " on " + k);
                for (float g : s.grad().toFloatArray()) assertEquals(0f, g, 0f);
            }
    }

    @Test
    void temperatureSquaredKeepsTheGradientScaleAtHighTemperature() {
        // Hinton et al. 2015, section 2.1: for T >> |z| and zero-mean logits, softmax(z/T) = (1 + z/T)/V + O(|z|^2/(T^2 V)),
        // so T (p_S - p_T) / N = (z_S - z_T) / (N V) + O(|z|^2 / (T N V)): relative error about max|z| / T.
        int n = 4, v = 50;
        float tau = 200f;
        float[] sa = randn(5, n * v, 1), ta = randn(6, n * v, 1);
        center(sa, n, v);
        center(ta, n, v);
        double maxZ = 0;
        for (int i = 0; i < n * v; i++) maxZ = Math.max(maxZ, Math.max(Math.abs(sa[i]), Math.abs(ta[i])));
        Var s = Var.param(Tensor.of(sa.clone(), n, v), "student");
        Tape tape = new Tape(ScalarKernels.INSTANCE);
        tape.backward(tape.klDivergence(s, Tensor.of(ta, n, v), tau));
        float[] g = s.grad().toFloatArray();
        double maxWant = 0, maxErr = 0;
        for (int i = 0; i < n * v; i++) {
            double want = (sa[i] - ta[i]) / ((double) n * v);
            maxWant = Math.max(maxWant, Math.abs(want));
            maxErr = Math.max(maxErr, Math.abs(want - g[i]));
        }
        assertTrue(maxErr < 2 * maxZ / tau * maxWant, "max err " + maxErr + " vs scale " + maxWant + " (bound 2 max|z|/T relative)");
    }

    private static void center(float[] a, int n, int v) {
        for (int i = 0; i < n; i++) {
            double m = 0;
            for (int j = 0; j < v; j++) m += a[i * v + j];
            for (int j = 0; j < v; j++) a[i * v + j] -= (float) (m / v);
        }
    }

    @Test
    void cosineLossMatchesDoublePrecisionFiniteDifferences() {
        int n = 7, c = 12;
        float[] aa = randn(8, n * c, 1), ba = randn(9, n * c, 1);
        Var a = Var.param(Tensor.of(aa.clone(), n, c), "student");
        Tape tape = new Tape(ScalarKernels.INSTANCE);
        Var loss = tape.cosineLoss(a, Tensor.of(ba, n, c));
        tape.backward(loss);
        float[] g = a.grad().toFloatArray();
        double[] ad = widen(aa), bd = widen(ba);
        assertEquals(cosRef(ad, bd, n, c), loss.value().item(), 1e-6);
        double h = 1e-5, maxG = 0, maxErr = 0;
        for (int i = 0; i < n * c; i++) {
            double o = ad[i];
            ad[i] = o + h;
            double up = cosRef(ad, bd, n, c);
            ad[i] = o - h;
            double down = cosRef(ad, bd, n, c);
            ad[i] = o;
            double num = (up - down) / (2 * h);
            maxG = Math.max(maxG, Math.abs(num));
            maxErr = Math.max(maxErr, Math.abs(num - g[i]));
        }
        assertTrue(maxErr < 1e-4 * maxG, "max err " + maxErr + " of " + maxG);
        Tape t2 = Tape.inference(ScalarKernels.INSTANCE);
        assertEquals(0f, t2.cosineLoss(Var.constant(Tensor.of(aa, n, c)), Tensor.of(aa, n, c)).value().item(), 1e-6f, "cos(a, a) = 1");
    }

    static double cosRef(double[] a, double[] b, int n, int c) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double dot = 0, na = 0, nb = 0;
            for (int j = i * c; j < (i + 1) * c; j++) {
                dot += a[j] * b[j];
                na += a[j] * a[j];
                nb += b[j] * b[j];
            }
            s += dot / Math.sqrt(na * nb);
        }
        return 1 - s / n;
    }
}
