package org.prune4j.transformer;

import java.util.EnumMap;
import java.util.Map;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.ShapeException;
import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;

/**
 * One Llama decoder layer: x + attn(rmsNorm(x)), then + mlp(rmsNorm(.)). Attention is causal with H query heads
 * and Hkv key/value heads, query head h reading kv head h / (H / Hkv) (MHA, GQA and MQA are one path), rotate-half
 * RoPE on q and k, optional q/k/v/o biases; the MLP is down(silu(gate(x)) * up(x)) with optional biases.
 * Its shapes are its own: heads, kv heads and MLP width may differ between layers of a pruned model.
 */
public final class DecoderLayer {
    private final int index, hidden, heads, kvHeads, headDim, intermediate;
    private final EnumMap<Linear, LinearLayer> linears = new EnumMap<>(Linear.class);
    private final Var inputNorm, postNorm;
    private Var headMask;
    private Intervention intervention = Intervention.NONE;
    private final int slidingWindow;

    DecoderLayer(int index, int hidden, int heads, int kvHeads, int headDim, int intermediate,
                 Map<Linear, Var> weights, Map<Linear, Var> biases, Var inputNorm, Var postNorm) {
        this(index, hidden, heads, kvHeads, headDim, intermediate, weights, biases, inputNorm, postNorm, 0);
    }

    /** With {@code slidingWindow} > 0, each query attends to the last that many positions only (Mistral). */
    DecoderLayer(int index, int hidden, int heads, int kvHeads, int headDim, int intermediate,
                 Map<Linear, Var> weights, Map<Linear, Var> biases, Var inputNorm, Var postNorm, int slidingWindow) {
        if (slidingWindow < 0) throw new IllegalArgumentException("layer " + index + ": sliding window must be >= 0 (0: none), got " + slidingWindow);
        this.slidingWindow = slidingWindow;
        this.index = index;
        this.hidden = hidden;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.intermediate = intermediate;
        this.inputNorm = inputNorm;
        this.postNorm = postNorm;
        for (Linear l : Linear.values()) {
            if (!weights.containsKey(l)) throw new IllegalArgumentException("layer " + index + " has no " + l.suffix() + " weight");
            setLinear(l, new LinearLayer.Dense(weights.get(l), biases.get(l)));
        }
        checkShape("model.layers." + index + ".input_layernorm.weight", new int[] {hidden}, inputNorm.shape());
        checkShape("model.layers." + index + ".post_attention_layernorm.weight", new int[] {hidden}, postNorm.shape());
    }

    static void checkShape(String name, int[] expected, int[] actual) {
        if (!java.util.Arrays.equals(expected, actual))
            throw new ShapeException(name + ": expected shape " + Shapes.str(expected) + " but the checkpoint has " + Shapes.str(actual));
    }

    // ------------------------------------------------------------------ shapes and parameters

    public int index() { return index; }
    public int hiddenSize() { return hidden; }
    public int numHeads() { return heads; }
    public int numKvHeads() { return kvHeads; }
    public int headDim() { return headDim; }
    /** The sliding attention window in positions, 0 when attention is fully causal. */
    public int slidingWindow() { return slidingWindow; }
    public int intermediateSize() { return intermediate; }

    /** [out, in] of a linear layer in this layer's shapes (Hugging Face layout). */
    public int[] expectedWeightShape(Linear l) {
        return switch (l) {
            case Q -> new int[] {heads * headDim, hidden};
            case K, V -> new int[] {kvHeads * headDim, hidden};
            case O -> new int[] {hidden, heads * headDim};
            case GATE, UP -> new int[] {intermediate, hidden};
            case DOWN -> new int[] {hidden, intermediate};
        };
    }

    /** How linear layer {@code l} computes (dense by default). */
    public LinearLayer linear(Linear l) { return linears.get(l); }

    /** Swaps how linear layer {@code l} computes (adapters, compressed weights); its weight and bias keep their shapes. */
    public void setLinear(Linear l, LinearLayer layer) {
        checkShape(l.weightName(index), expectedWeightShape(l), layer.weightShape());
        if (layer.bias() != null) checkShape(l.biasName(index), new int[] {expectedWeightShape(l)[0]}, layer.bias().shape());
        linears.put(l, layer);
    }

    /** The weight [out, in] of a linear layer. */
    public Tensor weight(Linear l) { return weightVar(l).value(); }

    /**
     * Replaces a weight (a pruned one); the shape must stay the same. A layer running compressed without its dense
     * weight ({@link NMLinear#compressedOnly}) becomes a dense one holding {@code w}.
     */
    public void setWeight(Linear l, Tensor w) {
        checkShape(l.weightName(index), expectedWeightShape(l), w.shape());
        if (linears.get(l) instanceof NMLinear nm && !nm.holdsDense()) linears.put(l, new LinearLayer.Dense(Var.param(w, l.weightName(index)), nm.bias()));
        else weightVar(l).setValue(w);
    }

    /** The bias [out] of a linear layer, or null when it has none. */
    public Tensor bias(Linear l) {
        Var b = biasVar(l);
        return b == null ? null : b.value();
    }

    /** Replaces an existing bias (e.g. after bias correction); the shape must stay the same. */
    public void setBias(Linear l, Tensor b) {
        Var v = biasVar(l);
        if (v == null) throw new IllegalStateException(l.biasName(index) + " does not exist in this model");
        checkShape(l.biasName(index), new int[] {expectedWeightShape(l)[0]}, b.shape());
        v.setValue(b);
    }

    /** The weight as a trainable variable (its gradient after a backward). */
    public Var weightVar(Linear l) { return linears.get(l).weight(); }

    /** The bias variable, or null. */
    public Var biasVar(Linear l) { return linears.get(l).bias(); }

    /** RMSNorm weight before attention [C]. */
    public Tensor inputNorm() { return inputNorm.value(); }

    /** RMSNorm weight before the MLP [C]. */
    public Tensor postAttentionNorm() { return postNorm.value(); }

    public Var inputNormVar() { return inputNorm; }

    public Var postAttentionNormVar() { return postNorm; }

    /**
     * The head mask xi [H] (Michel et al. 2019) multiplying each head's output, or null when masks are off. Set
     * entries to 0 to silence heads; with the mask trainable, its gradient is each head's importance.
     */
    public Var headMask() { return headMask; }

    /** The activation edits this layer applies (identity unless set). */
    public Intervention intervention() { return intervention; }

    /** Sets the activation edits (masks, gates, knockoffs) this layer applies; null means none. */
    public void setIntervention(Intervention i) { intervention = i == null ? Intervention.NONE : i; }

    /** Turns the head mask on (ones, trainable or not) or off (null). */
    public void setHeadMask(boolean on, boolean trainable) {
        headMask = on ? Var.param(Tensor.full(1f, heads), "model.layers." + index + ".head_mask").setFrozen(!trainable) : null;
    }

    // ------------------------------------------------------------------ forward

    /**
     * x [B, T, C] at absolute positions startPos .. startPos+T-1 -> [B, T, C]. With a cache (inference only), keys
     * and values of earlier positions come from it and this call's are appended.
     */
    Var forward(Tape tape, Var x, int startPos, Rotary rotary, KvCache cache, Observer obs, float eps) {
        int b = x.size(0), t = x.size(1);
        obs.layerInput(index, x.value());

        // attention block
        Var h = intervention.normOutput(tape, index, false, tape.rmsNorm(x, inputNorm, eps)); // [B, T, C]
        Tensor h2d = h.value().reshape(b * t, hidden);
        obs.linearInput(index, Linear.Q, h2d);
        obs.linearInput(index, Linear.K, h2d);
        obs.linearInput(index, Linear.V, h2d);
        Var q = tape.reshape(linear(tape, h, Linear.Q), b, t, heads, headDim);       // [B, T, H, D]
        Var k = tape.reshape(linear(tape, h, Linear.K), b, t, kvHeads, headDim);     // [B, T, Hkv, D]
        Var v = tape.reshape(linear(tape, h, Linear.V), b, t, kvHeads, headDim);     // [B, T, Hkv, D]
        Tensor cos = rotary.cos(startPos, t), sin = rotary.sin(startPos, t);        // [T, D/2]
        q = tape.rope(q, cos, sin, false);
        k = tape.rope(k, cos, sin, false);
        if (cache != null) {
            if (tape.isRecording()) throw new IllegalStateException("the KV cache is for inference; run it on a non-recording tape");
            if (cache.length() != startPos) throw new IllegalStateException("KV cache holds " + cache.length() + " positions but the input starts at " + startPos);
            Tensor[] kv = cache.append(index, k.value(), v.value());                  // [B, S, Hkv, D] each
            k = Var.constant(kv[0]);
            v = Var.constant(kv[1]);
        }
        float scale = (float) (1.0 / Math.sqrt(headDim));
        Var att = slidingWindow > 0 ? tape.slidingAttention(q, k, v, scale, slidingWindow)  // [B, T, H, D]
                : tape.attention(q, k, v, scale, true);
        if (headMask != null) att = tape.headMask(att, headMask);
        att = intervention.headOutputs(tape, index, att);
        obs.headOutputs(index, att.value());
        Var att2 = tape.reshape(att, b, t, heads * headDim);
        obs.linearInput(index, Linear.O, att2.value().reshape(b * t, heads * headDim));
        x = tape.add(x, linear(tape, att2, Linear.O));

        // MLP block
        Var m = intervention.normOutput(tape, index, true, tape.rmsNorm(x, postNorm, eps)); // [B, T, C]
        Tensor m2d = m.value().reshape(b * t, hidden);
        obs.linearInput(index, Linear.GATE, m2d);
        obs.linearInput(index, Linear.UP, m2d);
        Var act = tape.swiglu(linear(tape, m, Linear.GATE), linear(tape, m, Linear.UP)); // [B, T, I]
        act = intervention.neurons(tape, index, act);
        obs.linearInput(index, Linear.DOWN, act.value().reshape(b * t, intermediate));
        x = tape.add(x, linear(tape, act, Linear.DOWN));
        obs.layerOutput(index, x.value());
        return x;
    }

    private Var linear(Tape tape, Var x, Linear l) {
        return linears.get(l).forward(tape, x);
    }

    /** Number of parameters, from the shapes (a compressed-only weight is not decompressed to count it). */
    long parameterCount() {
        long n = inputNorm.value().numel() + postNorm.value().numel();
        for (LinearLayer ll : linears.values()) {
            int[] s = ll.weightShape();
            n += (long) s[0] * s[1] + (ll.bias() == null ? 0 : ll.bias().value().numel());
        }
        return n;
    }

    /**
     * Parameters in Hugging Face names, in checkpoint order; with {@code heldOnly}, without the weights of layers that
     * run compressed-only (which have no dense tensor: reading theirs would decompress it).
     */
    void collect(Map<String, Var> out, boolean heldOnly) {
        out.put("model.layers." + index + ".input_layernorm.weight", inputNorm);
        for (Linear l : Linear.values()) {
            if (l == Linear.GATE) out.put("model.layers." + index + ".post_attention_layernorm.weight", postNorm);
            if (!heldOnly || !(linears.get(l) instanceof NMLinear nm) || nm.holdsDense()) out.put(l.weightName(index), weightVar(l));
            if (biasVar(l) != null) out.put(l.biasName(index), biasVar(l));
        }
    }
}
