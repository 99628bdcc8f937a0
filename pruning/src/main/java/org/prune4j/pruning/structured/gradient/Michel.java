package org.prune4j.pruning.structured.gradient;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.Progress;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * Head importance of Michel et al. 2019 ("Are Sixteen Heads Really Better than One?"): every head's output is
 * multiplied by a mask ξ_{l,h} = 1, and
 * <pre>
 *   I_{l,h} = Σ_b |∂L_b/∂ξ_{l,h}|        L_b the mean next-token loss over batch b of --batch windows
 *   Î_{l,h} = I_{l,h} / ‖I_{l,·}‖₂       each layer's scores divided by their L2 norm
 * </pre>
 * {@link #iterative} removes heads a fraction at a time and re-scores the survivors between steps, as the paper does.
 */
public final class Michel {
    private Michel() {}

    /** Raw Σ_b |∂L_b/∂ξ| per layer and head, and the per-layer L2-normalised scores. */
    public record Result(double[][] raw, double[][] normalized, long tokens) {
        public UnitScores scores() { return new UnitScores(UnitKind.HEAD, "michel", normalized); }
    }

    /** One scoring pass with every head on. */
    public static Result score(LlamaModel model, int[][] windows, int batch, Progress progress) {
        return score(model, windows, batch, null, progress, "michel head gradients");
    }

    /**
     * One scoring pass with the heads {@code removed[l][h]} masked to zero (null: none). Parameters are frozen during the
     * pass, so the backward runs through activations only, and restored afterwards; the masks are turned off again.
     */
    static Result score(LlamaModel model, int[][] windows, int batch, boolean[][] removed, Progress progress, String what) {
        if (windows.length == 0) throw new StructuredException("michel: no calibration windows");
        if (batch < 1) throw new StructuredException("--batch must be at least 1, got " + batch);
        int layers = model.numLayers(), n = windows.length;
        Map<String, Var> params = model.parameters();
        Map<String, Boolean> wasFrozen = new LinkedHashMap<>();
        params.forEach((name, v) -> wasFrozen.put(name, !v.requiresGrad()));
        double[][] raw = new double[layers][];
        for (int l = 0; l < layers; l++) raw[l] = new double[model.layer(l).numHeads()];
        model.setTrainable(false);
        model.setHeadMasks(true, true);
        progress.update(what, 0, n, "windows");
        try {
            if (removed != null)
                for (int l = 0; l < layers; l++) {
                    float[] xi = new float[raw[l].length];
                    for (int h = 0; h < xi.length; h++) xi[h] = removed[l][h] ? 0f : 1f;
                    model.layer(l).headMask().setValue(Tensor.of(xi, xi.length));
                }
            for (int start = 0; start < n; start += batch) {
                int nb = Math.min(batch, n - start);
                Tape tape = new Tape(model.kernels());
                Var loss = model.loss(tape, Arrays.copyOfRange(windows, start, start + nb), Observer.NONE); // L_b
                double lb = loss.value().item();
                if (!Double.isFinite(lb))
                    throw new StructuredException("michel: the loss of calibration windows " + start + ".." + (start + nb - 1) + " is " + lb
                            + " (non-finite activations: check the model's weights)");
                tape.backward(loss);
                for (int l = 0; l < layers; l++) {
                    Tensor g = model.layer(l).headMask().grad();
                    for (int h = 0; h < raw[l].length; h++) {
                        float gh = g == null ? 0f : g.get(h);
                        if (!Float.isFinite(gh))
                            throw new StructuredException("michel: ∂L/∂ξ of layer " + l + " head " + h + " (model.layers." + l + ".head_mask) is " + gh
                                    + " on calibration windows " + start + ".." + (start + nb - 1) + " (gradients must be finite)");
                        raw[l][h] += Math.abs(gh);                                   // I += |∂L_b/∂ξ|
                    }
                    model.layer(l).headMask().zeroGrad();
                }
                progress.update(what, start + nb, n, "windows");
            }
        } finally {
            model.setHeadMasks(false, false);
            params.forEach((name, v) -> v.setFrozen(wasFrozen.get(name)));
        }
        return new Result(raw, normalize(raw, removed), (long) n * windows[0].length);
    }

    /** Î = I / ‖I‖₂ per layer, over the heads not removed (removed heads score 0); a layer of zeros stays zero. */
    static double[][] normalize(double[][] raw, boolean[][] removed) {
        double[][] out = new double[raw.length][];
        for (int l = 0; l < raw.length; l++) {
            double ss = 0;
            for (int h = 0; h < raw[l].length; h++) if (removed == null || !removed[l][h]) ss += raw[l][h] * raw[l][h];
            double norm = Math.sqrt(ss);
            out[l] = new double[raw[l].length];
            for (int h = 0; h < raw[l].length; h++)
                out[l][h] = (removed != null && removed[l][h]) || norm == 0 ? 0 : raw[l][h] / norm;
        }
        return out;
    }

    /**
     * Iterative pruning (Michel et al. §4): in {@code steps} steps, each layer goes from its H heads down to
     * {@code keep[l]}, after step s keeping H − ⌈(H − keep)·s/steps⌉; before each step the survivors are re-scored with
     * the removed heads masked to zero, and the lowest-scoring survivors are removed. Where a layer has grouped KV heads
     * (H ≠ Hkv) every KV group keeps the same number of query heads, so removal runs within each group.
     *
     * <p>The returned scores encode the order of removal so that keeping the top {@code keep[l]} per layer (or per group)
     * keeps exactly the survivors: a head removed at step s (1-based) scores 2(s−1) + Î, a survivor 2·steps + Î
     * (its score in the last pass), with 0 ≤ Î ≤ 1.
     */
    public static Result iterative(LlamaModel model, int[][] windows, int batch, int steps, int[] keep, Progress progress) {
        int layers = model.numLayers();
        if (steps < 1) throw new StructuredException("--iterative must be at least 1 step, got " + steps);
        if (keep.length != layers) throw new IllegalArgumentException("need one head count per layer: " + keep.length + " for " + layers + " layers");
        boolean[][] removed = new boolean[layers][];
        double[][] encoded = new double[layers][];
        int[] groupsOf = new int[layers];
        for (int l = 0; l < layers; l++) {
            int h = model.layer(l).numHeads(), kv = model.layer(l).numKvHeads();
            groupsOf[l] = h == kv ? 1 : kv;                                      // MHA: the layer is one group
            if (keep[l] < 0 || keep[l] > h || keep[l] % groupsOf[l] != 0)
                throw new StructuredException("michel --iterative: layer " + l + " cannot keep " + keep[l] + " of " + h
                        + " heads (must be between 0 and " + h + " and a multiple of the " + groupsOf[l] + " KV groups)");
            removed[l] = new boolean[h];
            encoded[l] = new double[h];
        }
        Result last = null;
        long tokens = 0;
        for (int s = 1; s <= steps; s++) {
            last = score(model, windows, batch, removed, progress, "michel iterative step " + s + "/" + steps);
            tokens += last.tokens();
            for (int l = 0; l < layers; l++) {
                int h = removed[l].length, groups = groupsOf[l], per = h / groups, keepPer = keep[l] / groups;
                int survivorsAfter = per - (int) Math.ceil((double) (per - keepPer) * s / steps);
                for (int g = 0; g < groups; g++) {
                    int alive = 0;
                    for (int i = g * per; i < (g + 1) * per; i++) if (!removed[l][i]) alive++;
                    for (int r = alive - survivorsAfter; r > 0; r--) {                 // remove the lowest survivor, ties to the lower index
                        int worst = -1;
                        for (int i = g * per; i < (g + 1) * per; i++)
                            if (!removed[l][i] && (worst < 0 || last.normalized()[l][i] < last.normalized()[l][worst])) worst = i;
                        removed[l][worst] = true;
                        encoded[l][worst] = 2.0 * (s - 1) + last.normalized()[l][worst];
                    }
                }
            }
        }
        for (int l = 0; l < layers; l++)
            for (int i = 0; i < removed[l].length; i++)
                if (!removed[l][i]) encoded[l][i] = 2.0 * steps + last.normalized()[l][i];
        return new Result(last.raw(), encoded, tokens);
    }
}
