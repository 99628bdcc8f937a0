package org.prune4j.transformer;

import org.prune4j.tensor.Tensor;

/**
 * Rotary position tables for rotate-half RoPE: cos and sin of position * invFreq[i], [positions, D/2]. Angles are
 * formed as Hugging Face does (float32 inverse frequencies times float32 positions, then cos/sin), so long contexts
 * round the same way. Rows grow on demand and are shared by all layers.
 */
public final class Rotary {
    private final float[] invFreq;
    private float[] cos = new float[0], sin = new float[0];
    private int rows;

    /** {@code invFreq} = 1 / theta^(2i/D), already rescaled (llama3, linear) by the config. */
    public Rotary(double[] invFreq) {
        this.invFreq = new float[invFreq.length];
        for (int i = 0; i < invFreq.length; i++) this.invFreq[i] = (float) invFreq[i];
    }

    /** Half the head dim. */
    public int half() { return invFreq.length; }

    private void ensure(int positions) {
        if (positions <= rows) return;
        int n = Math.max(positions, Math.max(64, rows * 2));
        int h = invFreq.length;
        float[] c = new float[Math.multiplyExact(n, h)], s = new float[n * h];
        System.arraycopy(cos, 0, c, 0, rows * h);
        System.arraycopy(sin, 0, s, 0, rows * h);
        for (int p = rows; p < n; p++)
            for (int i = 0; i < h; i++) {
                float angle = (float) p * invFreq[i]; // float32 product, as torch computes inv_freq @ position_ids
                c[p * h + i] = (float) Math.cos(angle);
                s[p * h + i] = (float) Math.sin(angle);
            }
        cos = c;
        sin = s;
        rows = n;
    }

    /** cos of positions start .. start+length-1: [length, D/2] (a view; do not modify). */
    public synchronized Tensor cos(int start, int length) {
        ensure(start + length);
        return Tensor.of(cos, rows, invFreq.length).narrow(0, start, length);
    }

    /** sin of positions start .. start+length-1: [length, D/2]. */
    public synchronized Tensor sin(int start, int length) {
        ensure(start + length);
        return Tensor.of(sin, rows, invFreq.length).narrow(0, start, length);
    }
}
