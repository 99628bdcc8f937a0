package org.prune4j.autograd;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.prune4j.tensor.Parallel;
import org.prune4j.tensor.Tensor;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter 2019), as {@code torch.optim.AdamW} computes it:
 * p -= lr wd p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps).
 * Parameters without a gradient this step (frozen or unused) are left alone and their step count does not advance.
 * Parameters are updated in place and must be writable F32 heap tensors (what models hold).
 */
public final class AdamW {
    /** Hyper-parameters; PyTorch's defaults are (0.9, 0.999, 1e-8, 0.01). */
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {
        public static Settings defaults() {
            return new Settings(0.9, 0.999, 1e-8, 0.01);
        }
    }

    private static final class State {
        final float[] m, v;
        long t;

        State(int n) {
            m = new float[n];
            v = new float[n];
        }
    }

    private final List<Var> params;
    private final Map<Var, Boolean> decays = new IdentityHashMap<>();
    private final Map<Var, State> state = new IdentityHashMap<>();
    private final Settings s;
    private final int threads;

    /**
     * Optimizes {@code params}; weight decay applies only to those {@code decay} accepts (commonly matrices, not
     * norms or biases). Updates are split over {@code threads} workers.
     */
    public AdamW(List<Var> params, java.util.function.Predicate<Var> decay, Settings settings, int threads) {
        this.params = new ArrayList<>(params);
        this.s = settings;
        this.threads = Math.max(1, threads);
        for (Var p : params) {
            if (!p.isLeaf()) throw new IllegalArgumentException(p + " is not a leaf parameter");
            decays.put(p, decay.test(p));
        }
    }

    /** One update with learning rate {@code lr} from the gradients now held by the parameters. */
    public void step(double lr) {
        for (Var p : params) {
            Tensor g = p.grad();
            if (g == null || !p.requiresGrad()) continue;
            Tensor w = p.value();
            if (!w.isDenseArray() || !w.storage().writable())
                throw new IllegalStateException("AdamW updates parameters in place; " + p + " is not a writable F32 heap tensor");
            Tensor gd = g.toF32();
            int n = (int) w.numel();
            State st = state.computeIfAbsent(p, k -> new State(n));
            st.t++;
            float[] wa = w.array(), ga = gd.array(), m = st.m, v = st.v;
            int wo = (int) w.offset(), go = (int) gd.offset();
            double b1 = s.beta1(), b2 = s.beta2();
            double bc1 = 1 - Math.pow(b1, st.t), bc2 = 1 - Math.pow(b2, st.t);
            double decay = decays.get(p) ? 1 - lr * s.weightDecay() : 1;
            double stepSize = lr / bc1, sqrtBc2 = Math.sqrt(bc2), eps = s.eps();
            Parallel.forRange(threads, n, 1 << 15, (from, to) -> {
                for (int i = (int) from; i < to; i++) {
                    double gi = ga[go + i];
                    double mi = b1 * m[i] + (1 - b1) * gi;
                    double vi = b2 * v[i] + (1 - b2) * gi * gi;
                    m[i] = (float) mi;
                    v[i] = (float) vi;
                    double pi = wa[wo + i] * decay;
                    wa[wo + i] = (float) (pi - stepSize * mi / (Math.sqrt(vi) / sqrtBc2 + eps));
                }
            });
        }
    }

    /** One parameter's optimizer state: first and second moments and its step count (what a checkpoint saves). */
    public record Moments(float[] m, float[] v, long t) {}

    /** A copy of {@code p}'s state, or null before its first update. */
    public Moments moments(Var p) {
        State st = state.get(p);
        return st == null ? null : new Moments(st.m.clone(), st.v.clone(), st.t);
    }

    /** Restores {@code p}'s state from a checkpoint; the moments must have p's element count. */
    public void restore(Var p, Moments saved) {
        if (!decays.containsKey(p)) throw new IllegalArgumentException(p + " is not optimized by this AdamW");
        int n = (int) p.value().numel();
        if (saved.m().length != n || saved.v().length != n)
            throw new IllegalArgumentException("moments of " + p + " hold " + saved.m().length + " entries, the parameter " + n);
        State st = new State(n);
        System.arraycopy(saved.m(), 0, st.m, 0, n);
        System.arraycopy(saved.v(), 0, st.v, 0, n);
        st.t = saved.t();
        state.put(p, st);
    }

    /** Steps taken for {@code p} (0 before its first update). */
    public long steps(Var p) {
        State st = state.get(p);
        return st == null ? 0 : st.t;
    }

    /**
     * Scales every gradient by min(1, maxNorm / ||g||) where ||g|| is the L2 norm over all of them together (the
     * global-norm clipping of {@code torch.nn.utils.clip_grad_norm_}); returns ||g|| before clipping.
     */
    public static double clipGradNorm(List<Var> params, double maxNorm) {
        double sq = 0;
        for (Var p : params) {
            if (p.grad() == null) continue;
            Tensor g = p.grad().toF32();
            float[] a = g.array();
            for (int i = (int) g.offset(), end = i + (int) g.numel(); i < end; i++) sq += (double) a[i] * a[i];
        }
        double norm = Math.sqrt(sq);
        if (maxNorm > 0 && norm > maxNorm) {
            float c = (float) (maxNorm / (norm + 1e-6));
            for (Var p : params) {
                Tensor g = p.grad();
                if (g == null) continue;
                if (!g.isDenseArray()) throw new IllegalStateException("gradient of " + p + " is not a dense array");
                float[] a = g.array();
                int o = (int) g.offset(), n = (int) g.numel();
                for (int i = 0; i < n; i++) a[o + i] *= c;
            }
        }
        return norm;
    }
}
