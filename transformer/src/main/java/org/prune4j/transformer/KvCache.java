package org.prune4j.transformer;

import org.prune4j.tensor.Tensor;

/**
 * Keys and values of the positions already processed, per layer: [B, capacity, Hkv, D] F32 buffers that grow by
 * doubling. A prefill appends T positions at once, decoding appends one; all batch rows share positions.
 */
public final class KvCache {
    private final Tensor[] keys, values;
    private final int batch;
    private int length;

    /** An empty cache for {@code model} with room for {@code capacity} positions before it grows. */
    public KvCache(LlamaModel model, int batch, int capacity) {
        if (batch < 1 || capacity < 1) throw new IllegalArgumentException("KV cache needs batch >= 1 and capacity >= 1, got " + batch + " and " + capacity);
        int n = model.config().numLayers();
        this.batch = batch;
        this.keys = new Tensor[n];
        this.values = new Tensor[n];
        for (int i = 0; i < n; i++) {
            DecoderLayer l = model.layer(i);
            keys[i] = Tensor.zeros(batch, capacity, l.numKvHeads(), l.headDim());
            values[i] = Tensor.zeros(batch, capacity, l.numKvHeads(), l.headDim());
        }
    }

    /** Positions held (the absolute position of the next token). */
    public int length() { return length; }

    public int batch() { return batch; }

    /** Forgets every position (buffers are kept). */
    public void reset() { length = 0; }

    /**
     * Writes k, v [B, T, Hkv, D] of {@code layer} at positions length .. length+T-1 and returns the keys and values
     * of positions 0 .. length+T-1 ([B, S, Hkv, D] views). {@link #advance} moves length once every layer has appended.
     */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        int t = k.size(1);
        if (k.size(0) != batch) throw new IllegalArgumentException("KV cache holds batch " + batch + ", got keys of batch " + k.size(0));
        if (length + t > keys[layer].size(1)) grow(layer, length + t);
        for (int b = 0; b < batch; b++) {
            keys[layer].select(0, b).narrow(0, length, t).copyFrom(k.select(0, b));
            values[layer].select(0, b).narrow(0, length, t).copyFrom(v.select(0, b));
        }
        return new Tensor[] {keys[layer].narrow(1, 0, length + t), values[layer].narrow(1, 0, length + t)};
    }

    private void grow(int layer, int needed) {
        int cap = Math.max(needed, keys[layer].size(1) * 2);
        for (Tensor[] buf : new Tensor[][] {keys, values}) {
            Tensor old = buf[layer];
            Tensor bigger = Tensor.zeros(batch, cap, old.size(2), old.size(3));
            if (length > 0) bigger.narrow(1, 0, length).copyFrom(old.narrow(1, 0, length));
            buf[layer] = bigger;
        }
    }

    /** Marks {@code t} more positions as held, after all layers appended them. */
    void advance(int t) { length += t; }
}
