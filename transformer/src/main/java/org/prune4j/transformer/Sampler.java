package org.prune4j.transformer;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a row of logits: greedy (temperature 0: the first index of the largest logit), or a draw
 * from softmax(logits / temperature), restricted to the nucleus (Holtzman et al. 2020) of the most likely tokens whose
 * probabilities sum to top-p. The generator is seeded, so a run is reproducible.
 */
public final class Sampler {
    private final float temperature, topP;
    private final SplittableRandom random;

    public Sampler(float temperature, float topP, long seed) {
        if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    /** The next token for logits[0 .. n-1] starting at {@code offset}. */
    public int sample(float[] logits, int offset, int n) {
        if (temperature == 0) return argmax(logits, offset, n);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[offset + i]);
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (p[i] = Math.exp((logits[offset + i] - max) / temperature));
        for (int i = 0; i < n; i++) p[i] /= sum;
        if (topP >= 1) return draw(p, null, n, 1.0);
        // nucleus: most likely first (stable: lower id first on ties), keep until the cumulative mass reaches top-p
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        int[] ids = new int[n];
        double cum = 0;
        int kept = 0;
        while (kept < n) {
            ids[kept] = order[kept];
            cum += p[order[kept]];
            kept++;
            if (cum >= topP) break;
        }
        return draw(p, ids, kept, cum);
    }

    /** A draw proportional to p over the first {@code count} of {@code ids} (all ids when null), whose mass is {@code total}. */
    private int draw(double[] p, int[] ids, int count, double total) {
        double r = random.nextDouble() * total, cum = 0;
        for (int j = 0; j < count; j++) {
            int id = ids == null ? j : ids[j];
            cum += p[id];
            if (r < cum) return id;
        }
        return ids == null ? count - 1 : ids[count - 1]; // rounding left r at the very top
    }

    /** First index of the largest value (NaN counts as largest, like the kernels' argmax). */
    public static int argmax(float[] x, int offset, int n) {
        int best = 0;
        float bv = x[offset];
        for (int i = 1; i < n; i++) {
            float v = x[offset + i];
            if (!Float.isNaN(bv) && (v > bv || Float.isNaN(v))) {
                bv = v;
                best = i;
            }
        }
        return best;
    }
}
