package org.prune4j.pruning.structured;

import java.util.Arrays;

/**
 * {@code --hf-pad}: the layers of a plan with per-layer shapes ({@code --allocation global}) padded with zero units
 * up to the widest layer, so that config.json is a plain one (one num_attention_heads, num_key_value_heads and
 * intermediate_size) that Hugging Face's Llama class loads, and the padded model computes the same function.
 *
 * <p>Widths: Gp = max_l G_l KV heads, rp = max_l H_l/G_l query heads per KV head, Hp = Gp·rp, Ip = max_l I_l. Layer
 * l's output query head i (which reads its KV head i / r_l) goes to slot (i / r_l)·rp + i mod r_l, which reads KV
 * slot i / r_l, the same KV head: the grouping is kept. Why nothing changes:
 * <ul>
 *   <li>padded neuron: zero gate and up rows (and biases) give silu(0)·0 = 0, and its zero down column adds
 *       0·a = 0 to every output, whatever a is;
 *   <li>padded query head in a real KV group: zero q rows (q = 0, RoPE of 0 is 0) give equal scores, a finite
 *       average of V, and its zero o_proj columns add exact zeros to every output;
 *   <li>padded KV head: zero k/v rows, and every one of its rp query heads is padding (real heads never land there,
 *       since real groups keep slots 0..G_l-1), so its output is 0 and is multiplied by zero o columns anyway.
 * </ul>
 * Real units keep their order, so every dot product sees the same nonzero terms in the same order with zeros
 * between them: on kernels that sum in index order the logits are bit for bit those of the unpadded model.
 */
public final class HfPadding {
    private HfPadding() {}

    /** Index marking a padded (zero) unit in {@link Slots}. */
    public static final int ZERO = -1;

    /**
     * One output layer's units in order: {@code heads[s]} the source query head in slot s or {@link #ZERO};
     * {@code kv[j]} the source KV heads averaged into output KV head j (empty: a zero head); {@code neurons[s]}
     * the source neuron or {@link #ZERO}.
     */
    public record Slots(int[] heads, int[][] kv, int[] neurons) {}

    /** The widths every layer is padded to: query heads, KV heads, neurons. */
    public record Widths(int heads, int kvHeads, int intermediate) {}

    /** The widest layer's counts, with query heads per KV head the largest ratio (so every group fits). */
    public static Widths widths(Plan plan) {
        int g = 0, r = 0, in = 0;
        for (Plan.LayerPlan p : plan.layers()) {
            g = Math.max(g, p.numKvHeads());
            r = Math.max(r, p.numHeads() / p.numKvHeads());
            in = Math.max(in, p.intermediateSize());
        }
        return new Widths(g * r, g, in);
    }

    /** The layer's own units, unpadded. */
    public static Slots unpadded(Plan.LayerPlan p) {
        return new Slots(p.heads(), p.kv(), p.neurons());
    }

    /** The layer's units padded to {@code w}: real query heads keep their KV group, zeros fill the rest. */
    public static Slots padded(Plan.LayerPlan p, Widths w) {
        int r = p.numHeads() / p.numKvHeads(), rp = w.heads() / w.kvHeads();
        if (p.numKvHeads() > w.kvHeads() || r > rp || p.intermediateSize() > w.intermediate())
            throw new IllegalArgumentException("layer " + p.source() + " is wider than " + w);
        int[] heads = new int[w.heads()];
        Arrays.fill(heads, ZERO);
        int[] src = p.heads();
        for (int i = 0; i < src.length; i++) heads[(i / r) * rp + i % r] = src[i];
        int[][] kv = new int[w.kvHeads()][];
        int[][] srcKv = p.kv();
        for (int j = 0; j < kv.length; j++) kv[j] = j < srcKv.length ? srcKv[j] : new int[0];
        int[] neurons = Arrays.copyOf(p.neurons(), w.intermediate());
        Arrays.fill(neurons, p.intermediateSize(), neurons.length, ZERO);
        return new Slots(heads, kv, neurons);
    }
}
