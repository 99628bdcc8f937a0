package org.prune4j.tensor;

import static org.prune4j.tensor.VecMath.F;
import static org.prune4j.tensor.VecMath.L;

import jdk.incubator.vector.FloatVector;
import org.prune4j.tensor.AttentionBlocks.Operand;

/**
 * Backward of fused grouped-query attention (the fast version of {@link Kernels#attentionBackward}), as
 * FlashAttention computes it: the probabilities are recomputed from q and k block by block, never stored for the
 * whole sequence. With P = softmax(q k^T scale) per query row:
 * <pre>
 *   dV = P^T dO,   dP = dO V^T,   dS = P (dP - rowsum(P dP)) scale,   dQ = dS K,   dK = dS^T Q
 * </pre>
 * A unit is one batch row and one kv head: all its query rows (every position of every query head of the group), in
 * blocks of {@link #ROWS}, so the key and value gradients of the group are summed inside the unit, in a fixed order,
 * and units write disjoint outputs: results do not depend on the thread count. All buffers are padded to whole
 * vectors ({@link AttentionBlocks}).
 */
final class VecAttentionGrad {
    private VecAttentionGrad() {}

    /** Query rows per block: bounds the probability and gradient buffers at 2 x ROWS x S floats. */
    private static final int ROWS = 64;

    /** {dq [B, T, H, D], dk [B, S, Hkv, D], dv [B, S, Hkv, D]} from q, k, v and dOut [B, T, H, D]. */
    static Tensor[] backward(int threads, Tensor q, Tensor k, Tensor v, Tensor dOut, float scale, boolean causal) {
        AttentionShape s = AttentionShape.of(q, k, v);
        Shapes.requireSame("attention backward: gradient of the output vs q", q.shape(), dOut.shape());
        float[] dq = new float[Shapes.checkedArrayLength(q.shape())], dk = new float[Shapes.checkedArrayLength(k.shape())];
        float[] dv = new float[dk.length];
        Tensor[] result = {Tensor.of(dq, q.shape()), Tensor.of(dk, k.shape()), Tensor.of(dv, v.shape())};
        if (dq.length == 0 || dk.length == 0) return result;
        Operand qo = Operand.of(q), ko = Operand.of(k), vo = Operand.of(v), go = Operand.of(dOut);
        int group = s.group(), d = s.d(), dp = AttentionBlocks.pad(d), len = s.s(), sp = AttentionBlocks.pad(len);
        int tPerBlock = Math.max(1, Math.min(s.t(), ROWS / group)), maxRows = tPerBlock * group;
        Parallel.forRange(threads, (long) s.b() * s.hkv(), 1, (from, to) -> {
            float[] kt = new float[d * sp], vt = new float[d * sp], ks = new float[len * dp];
            float[] dks = new float[len * dp], dvs = new float[len * dp];
            float[] qs = new float[maxRows * dp], gs = new float[maxRows * dp], dqs = new float[maxRows * dp];
            float[] p = new float[maxRows * sp], ds = new float[maxRows * sp];
            int[] visible = new int[maxRows];
            for (long u = from; u < to; u++) {
                int kvh = (int) (u % s.hkv()), b = (int) (u / s.hkv());
                AttentionBlocks.gatherTransposed(ko, b, kvh, len, d, kt, sp);
                AttentionBlocks.gatherTransposed(vo, b, kvh, len, d, vt, sp);
                AttentionBlocks.gatherRows(ko, b, kvh, len, d, dp, ks);
                java.util.Arrays.fill(dks, 0f);
                java.util.Arrays.fill(dvs, 0f);
                for (int t0 = 0; t0 < s.t(); t0 += tPerBlock) {
                    int t1 = Math.min(s.t(), t0 + tPerBlock), rows = 0;
                    for (int t = t0; t < t1; t++)
                        for (int g = 0; g < group; g++) {
                            int h = kvh * group + g;
                            System.arraycopy(qo.a(), qo.at(b, t, h), qs, rows * dp, d);
                            java.util.Arrays.fill(qs, rows * dp + d, rows * dp + dp, 0f);
                            System.arraycopy(go.a(), go.at(b, t, h), gs, rows * dp, d);
                            java.util.Arrays.fill(gs, rows * dp + d, rows * dp + dp, 0f);
                            visible[rows++] = causal ? len - s.t() + t + 1 : len;
                        }
                    int keys = visible[rows - 1], keysPad = AttentionBlocks.pad(keys);
                    AttentionBlocks.timesTransposed(qs, dp, rows, kt, sp, d, visible, scale, p, sp);     // scores
                    AttentionBlocks.timesTransposed(gs, dp, rows, vt, sp, d, visible, 1f, ds, sp);       // dP = dO V^T
                    for (int r = 0; r < rows; r++) {
                        int o = r * sp, n = visible[r];
                        float max = VecMath.max(p, o, n);
                        float inv = 1f / VecSoftmax.expShiftedInto(p, o, max, p, o, n);
                        VecMath.scale(p, o, n, inv);                                                   // P
                        float delta = VecMath.dot(p, o, ds, o, n);                                     // rowsum(P dP)
                        softGrad(p, ds, o, n, delta, scale);                                           // dS
                        java.util.Arrays.fill(p, o + n, o + keysPad, 0f);
                        java.util.Arrays.fill(ds, o + n, o + keysPad, 0f);
                    }
                    AttentionBlocks.times(ds, sp, rows, visible, ks, dp, null, dqs);                   // dQ = dS K
                    AttentionBlocks.accumulateTransposed(ds, sp, rows, visible, keys, qs, dp, dks);  // dK += dS^T Q
                    AttentionBlocks.accumulateTransposed(p, sp, rows, visible, keys, gs, dp, dvs);   // dV += P^T dO
                    int r = 0;
                    for (int t = t0; t < t1; t++)
                        for (int g = 0; g < group; g++, r++)
                            System.arraycopy(dqs, r * dp, dq, ((b * s.t() + t) * s.h() + kvh * group + g) * d, d);
                }
                for (int j = 0; j < len; j++) {
                    int o = ((b * len + j) * s.hkv() + kvh) * d;
                    System.arraycopy(dks, j * dp, dk, o, d);
                    System.arraycopy(dvs, j * dp, dv, o, d);
                }
            }
        });
        return result;
    }

    /** ds[o + j] = p[o + j] (ds[o + j] - delta) scale for j < n: the softmax's backward, scaled like the scores. */
    private static void softGrad(float[] p, float[] ds, int o, int n, float delta, float scale) {
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += L) {
            FloatVector pv = FloatVector.fromArray(F, p, o + j);
            pv.mul(FloatVector.fromArray(F, ds, o + j).sub(delta)).mul(scale).intoArray(ds, o + j);
        }
        for (; j < n; j++) ds[o + j] = p[o + j] * (ds[o + j] - delta) * scale;
    }
}
