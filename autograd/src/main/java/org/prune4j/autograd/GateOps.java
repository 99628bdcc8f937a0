package org.prune4j.autograd;

import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;

/**
 * SCOP's knockoff gate (Tang et al. 2021): x̂ = λ ⊙ x + (1 − λ) ⊙ x̃, one gate λ_g per unit, a unit being a block of
 * {@code group} consecutive entries of the last dim (1 for a neuron or channel, head_dim for a head).
 */
final class GateOps {
    private GateOps() {}

    /**
     * x, x̃ [..., G·group], λ [G] -> x̂ [..., G·group]. Backward: dx = λ dy, dx̃ = (1 − λ) dy,
     * dλ_g = Σ_{rows, entries of unit g} dy (x − x̃): at λ = 1/2 this is exactly antisymmetric under swapping
     * x_g with x̃_g (x̂ is unchanged, x − x̃ flips), the property a knockoff statistic needs.
     */
    static Var knockoffGate(Tape tape, Var x, Var xTilde, Var lambda, int group) {
        Shapes.requireSame("knockoff gate: x and its knockoff", x.shape(), xTilde.shape());
        int p = x.size(-1);
        if (lambda.rank() != 1 || group < 1 || lambda.size(0) * group != p)
            throw new IllegalArgumentException("knockoff gate: " + Shapes.str(lambda.shape()) + " gates of " + group
                    + " entries each do not cover the last dim " + p + " of " + Shapes.str(x.shape()));
        float[] xa = x.value().contiguous().toFloatArray(), ta = xTilde.value().contiguous().toFloatArray();
        float[] la = lambda.value().contiguous().toFloatArray();
        int n = xa.length;
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            float l = la[(i % p) / group];
            y[i] = ta[i] + l * (xa[i] - ta[i]);
        }
        int[] shape = x.shape();
        return tape.record("knockoffGate", Tensor.of(y, shape), dy -> {
            float[] g = dy.contiguous().toFloatArray();
            if (Tape.needs(lambda)) {
                double[] dl = new double[la.length];
                for (int i = 0; i < n; i++) dl[(i % p) / group] += g[i] * (double) (xa[i] - ta[i]);
                float[] d = new float[la.length];
                for (int j = 0; j < d.length; j++) d[j] = (float) dl[j];
                tape.accumulate(lambda, Tensor.of(d, la.length));
            }
            if (Tape.needs(x)) {
                float[] d = new float[n];
                for (int i = 0; i < n; i++) d[i] = la[(i % p) / group] * g[i];
                tape.accumulate(x, Tensor.of(d, shape));
            }
            if (Tape.needs(xTilde)) {
                float[] d = new float[n];
                for (int i = 0; i < n; i++) d[i] = (1 - la[(i % p) / group]) * g[i];
                tape.accumulate(xTilde, Tensor.of(d, shape));
            }
        }, x, xTilde, lambda);
    }
}
