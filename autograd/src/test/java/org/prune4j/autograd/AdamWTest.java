package org.prune4j.autograd;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;

/** AdamW against its definition (torch.optim.AdamW), and global-norm gradient clipping. */
class AdamWTest {
    @Test
    void twoStepsFollowTheDefinition() {
        Var p = Var.param(Tensor.of(new float[] {1f, -2f}, 2), "p");
        AdamW opt = new AdamW(List.of(p), v -> true, new AdamW.Settings(0.9, 0.999, 1e-8, 0.1), 1);
        double[] w = {1, -2}, m = new double[2], v = new double[2];
        double[][] grads = {{0.5, -1}, {0.25, 3}};
        for (int t = 1; t <= 2; t++) {
            p.zeroGrad();
            p.grad = Tensor.of(new float[] {(float) grads[t - 1][0], (float) grads[t - 1][1]}, 2);
            p.gradOwned = true;
            opt.step(0.01);
            for (int i = 0; i < 2; i++) {
                double g = grads[t - 1][i];
                w[i] *= 1 - 0.01 * 0.1;
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                double mh = m[i] / (1 - Math.pow(0.9, t)), vh = v[i] / (1 - Math.pow(0.999, t));
                w[i] -= 0.01 * mh / (Math.sqrt(vh) + 1e-8);
                assertEquals(w[i], p.value().get(i), 1e-6, "step " + t + " entry " + i);
            }
        }
        assertEquals(2, opt.steps(p));
    }

    @Test
    void weightDecayIsDecoupledAndSelective() {
        Var matrix = Var.param(Tensor.full(2f, 2, 2), "w"), bias = Var.param(Tensor.full(2f, 2), "b");
        AdamW opt = new AdamW(List.of(matrix, bias), v -> v.rank() >= 2, new AdamW.Settings(0.9, 0.999, 1e-8, 0.5), 1);
        for (Var v : List.of(matrix, bias)) {
            v.grad = Tensor.zeros(v.shape()); // zero gradient: only the decay moves the weights
            v.gradOwned = true;
        }
        opt.step(0.1);
        assertEquals(2f * (1 - 0.1f * 0.5f), matrix.value().get(0, 0), 1e-6);
        assertEquals(2f, bias.value().get(0), 0f);
    }

    @Test
    void minimisesAQuadraticThroughTheTape() {
        Var x = Var.param(Tensor.of(new float[] {3f, -4f, 0.5f}, 3), "x");
        Tensor target = Tensor.of(new float[] {1f, 2f, -1f}, 3);
        AdamW opt = new AdamW(List.of(x), v -> false, AdamW.Settings.defaults(), 1);
        for (int i = 0; i < 600; i++) {
            Tape t = new Tape(ScalarKernels.INSTANCE);
            Var d = t.sub(x, Var.constant(target));
            x.zeroGrad();
            t.backward(t.sumAll(t.mul(d, d)));
            opt.step(0.05);
        }
        assertArrayEquals(target.toFloatArray(), x.value().toFloatArray(), 1e-2f);
    }

    @Test
    void clippingScalesToTheGlobalNorm() {
        Var a = Var.param(Tensor.zeros(2), "a"), b = Var.param(Tensor.zeros(1), "b");
        a.grad = Tensor.of(new float[] {3f, 0f}, 2);
        a.gradOwned = true;
        b.grad = Tensor.of(new float[] {4f}, 1);
        b.gradOwned = true;
        assertEquals(5.0, AdamW.clipGradNorm(List.of(a, b), 1.0), 1e-9);
        assertEquals(0.6f, a.grad().get(0), 1e-5f);
        assertEquals(0.8f, b.grad().get(0), 1e-5f);
        assertEquals(1.0, AdamW.clipGradNorm(List.of(a, b), 2.0), 1e-5); // below the limit: unchanged
        assertEquals(0.6f, a.grad().get(0), 1e-5f);
    }
}
