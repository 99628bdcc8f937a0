package org.prune4j.transformer;

import java.util.Arrays;
import java.util.function.IntConsumer;
import org.prune4j.tensor.Tensor;

/**
 * Autoregressive generation with a KV cache: one batched prefill of the prompt, then one token at a time, each
 * chosen by a {@link Sampler}. Optionally stops after an end-of-sequence token.
 */
public final class Generator {
    private final LlamaModel model;

    public Generator(LlamaModel model) {
        this.model = model;
    }

    /**
     * Up to {@code steps} new tokens after {@code prompt} (at least one token, e.g. BOS alone). With
     * {@code eosIds} non-empty, generation stops after emitting one of them (it is included). {@code onToken}
     * sees each new token as it is produced (may be null).
     */
    public int[] generate(int[] prompt, int steps, Sampler sampler, int[] eosIds, IntConsumer onToken) {
        if (prompt.length == 0) throw new IllegalArgumentException("generation needs at least one prompt token (e.g. BOS)");
        if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        int v = model.config().vocabSize();
        KvCache cache = model.newCache(1, prompt.length + Math.max(steps, 1));
        int[] out = new int[steps];
        int n = 0;
        int[][] next = {prompt};
        while (n < steps) {
            Tensor logits = model.forward(next, cache, Observer.NONE, true).toF32(); // [1, 1, V]
            int tok = sampler.sample(logits.array(), (int) logits.offset(), v);
            out[n++] = tok;
            if (onToken != null) onToken.accept(tok);
            if (contains(eosIds, tok)) break;
            next = new int[][] {{tok}};
        }
        return Arrays.copyOf(out, n);
    }

    private static boolean contains(int[] ids, int t) {
        if (ids == null) return false;
        for (int id : ids) if (id == t) return true;
        return false;
    }
}
