package org.prune4j.pruning.structured.gradient;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.Progress;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * The gradients LLM-Pruner's Taylor importance reads, computed on the training path:
 * <ul>
 *   <li>g = ∂L̄/∂W with L̄ the mean next-token loss over all N calibration windows. Windows run in batches of B; batch b's
 *       mean loss L_b is back-propagated with the seed n_b/N, so the leaf gradients accumulate to
 *       Σ_b (n_b/N) ∂L_b/∂W = ∂L̄/∂W exactly (every window has the same length, so every prediction weighs the same);</li>
 *   <li>optionally the diagonal empirical Fisher F = Σ_j g_j² / N from the per-window gradients g_j (LLM-Pruner's
 *       {@code acc_grad}, for its second-order variants). Then windows run one at a time and g = Σ_j g_j / N.</li>
 * </ul>
 * Every parameter of the model gets both, keyed by its Hugging Face name (a tied head appears once, as the embedding).
 * Non-finite losses or gradients stop the pass with an error naming the window and the tensor.
 */
public final class CalibrationGradients {
    private final Map<String, float[]> grad, fisher;
    private final double meanLoss;
    private final long tokens;

    private CalibrationGradients(Map<String, float[]> grad, Map<String, float[]> fisher, double meanLoss, long tokens) {
        this.grad = grad;
        this.fisher = fisher;
        this.meanLoss = meanLoss;
        this.tokens = tokens;
    }

    /** g of parameter {@code name} (row-major, the parameter's shape); an error naming the tensor when absent. */
    public float[] grad(String name) { return get(grad, name, "gradient"); }

    /** F of parameter {@code name}; only when computed with {@code fisher = true}. */
    public float[] fisher(String name) {
        if (fisher == null) throw new IllegalStateException("the empirical Fisher was not computed (second/mix variants need it)");
        return get(fisher, name, "Fisher diagonal");
    }

    public boolean hasFisher() { return fisher != null; }

    /** L̄, the mean loss over every window (nats per predicted token). */
    public double meanLoss() { return meanLoss; }

    /** Tokens run forward and backward. */
    public long tokens() { return tokens; }

    private static float[] get(Map<String, float[]> m, String name, String what) {
        float[] a = m.get(name);
        if (a == null) throw new IllegalArgumentException("no " + what + " for tensor " + name);
        return a;
    }

    /**
     * Runs every window forward and backward ({@code batch} at a time, or one at a time with {@code fisher}). The
     * model's parameters are made trainable for the pass and left as they were afterwards, gradients cleared.
     */
    public static CalibrationGradients compute(LlamaModel model, int[][] windows, int batch, boolean fisher, Progress progress) {
        if (windows.length == 0) throw new StructuredException("taylor: no calibration windows");
        if (batch < 1) throw new StructuredException("--batch must be at least 1, got " + batch);
        Map<String, Var> params = model.parameters();
        Map<String, Boolean> wasFrozen = new LinkedHashMap<>();
        params.forEach((n, v) -> wasFrozen.put(n, !v.requiresGrad()));
        model.zeroGrad();
        model.setTrainable(true);
        int n = windows.length, step = fisher ? 1 : batch;
        Map<String, float[]> g = new LinkedHashMap<>(), f = fisher ? new LinkedHashMap<>() : null;
        if (fisher) params.forEach((name, v) -> {
            g.put(name, new float[(int) v.value().numel()]);
            f.put(name, new float[(int) v.value().numel()]);
        });
        double lossSum = 0;
        progress.update("taylor gradients", 0, n, "windows");
        try {
            for (int start = 0; start < n; start += step) {
                int nb = Math.min(step, n - start);
                int[][] b = java.util.Arrays.copyOfRange(windows, start, start + nb);
                Tape tape = new Tape(model.kernels());
                Var loss = model.loss(tape, b, Observer.NONE);                       // L_b, mean over the batch's predictions
                double lb = loss.value().item();
                if (!Double.isFinite(lb))
                    throw new StructuredException("taylor: the loss of calibration windows " + start + ".." + (start + nb - 1) + " is " + lb
                            + " (non-finite activations: check the model's weights)");
                lossSum += lb * nb;
                float seed = fisher ? 1f : (float) ((double) nb / n);                 // n_b / N: leaves accumulate ∂L̄/∂W
                tape.backward(loss, Tensor.full(seed, loss.shape()));
                for (Map.Entry<String, Var> e : params.entrySet()) checkFinite(e.getKey(), e.getValue().grad(), start, nb);
                if (fisher) {
                    for (Map.Entry<String, Var> e : params.entrySet()) {
                        Tensor gj = e.getValue().grad();
                        if (gj == null) continue;
                        float[] a = gj.toFloatArray(), ga = g.get(e.getKey()), fa = f.get(e.getKey());
                        float inv = 1f / n;
                        for (int i = 0; i < a.length; i++) {
                            ga[i] += a[i] * inv;                                      // g = Σ_j g_j / N
                            fa[i] += a[i] * a[i] * inv;                               // F = Σ_j g_j² / N
                        }
                    }
                    model.zeroGrad();
                }
                progress.update("taylor gradients", start + nb, n, "windows");
            }
            if (!fisher)
                for (Map.Entry<String, Var> e : params.entrySet()) {
                    Tensor t = e.getValue().grad();
                    g.put(e.getKey(), t == null ? new float[(int) e.getValue().value().numel()] : t.toFloatArray());
                }
        } finally {
            model.zeroGrad();
            params.forEach((name, v) -> v.setFrozen(wasFrozen.get(name)));
        }
        long tokens = (long) n * windows[0].length;
        return new CalibrationGradients(Collections.unmodifiableMap(g), f == null ? null : Collections.unmodifiableMap(f), lossSum / n, tokens);
    }

    private static void checkFinite(String name, Tensor g, int start, int nb) {
        if (g == null) return;
        boolean direct = g.isDenseArray() && g.offset() == 0 && g.array().length == g.numel();
        float[] a = direct ? g.array() : g.toFloatArray(); // read in place: no copy of every gradient per batch
        for (int i = 0; i < a.length; i++)
            if (!Float.isFinite(a[i]))
                throw new StructuredException("taylor: the gradient of " + name + " is " + a[i] + " at flat index " + i + " after calibration windows "
                        + start + ".." + (start + nb - 1) + " (gradients must be finite)");
    }

    /** The parameter names in checkpoint order. */
    public List<String> names() { return new ArrayList<>(grad.keySet()); }
}
