package org.prune4j.tensor;

import static org.prune4j.tensor.VecMath.F;
import static org.prune4j.tensor.VecMath.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import org.prune4j.tensor.AttentionBlocks.Operand;

/**
 * Fused causal attention with grouped key/value heads: q [B, T, H, D], k and v [B, S, Hkv, D] -> [B, T, H, D].
 *
 * <p>Work unit: one batch row b, one kv head, a block of query positions and the query heads that share the
 * kv head (GQA's group). For each key j the unit loads k_j once and scores it against all its query rows,
 * softmaxes each score row, then loads each v_j once and accumulates it into all its output rows. So K and
 * V are read once per kv head, not once per query head: what matters for decoding (T = 1, long S), which is
 * memory-bound. q, k and v are read in place through their strides (a KV cache narrowed to S positions is
 * not copied); only storage that is not a float array, or a head dim that is not contiguous, is copied first.
 *
 * <p>With many query rows per kv head (prefill, training) the unit copies its rows, keys and values into buffers
 * padded to whole vectors first ({@link #blocked}), so its products run on full vectors whatever the head dim.
 * The backward of this op is {@link VecAttentionGrad}.
 */
final class VecAttention {
    private VecAttention() {}

    /** Query rows (group heads x positions) per unit; bounds the score buffer at ROWS x S floats. */
    private static final int ROWS = 64;
    /** Calls with at least this many query rows per kv head and block transpose key blocks (prefill); fewer use dot products (decode). */
    private static final int PACKED_ROWS = 16;

    static Tensor attention(int threads, Tensor q, Tensor k, Tensor v, float scale, boolean causal) {
        AttentionShape s = AttentionShape.of(q, k, v);
        float[] out = new float[Shapes.checkedArrayLength(q.shape())]; // [B, T, H, D]
        if (out.length == 0) return Tensor.of(out, q.shape());
        Operand qo = Operand.of(q), ko = Operand.of(k), vo = Operand.of(v);
        int group = s.group();
        // heads per unit: the whole group, unless that leaves threads idle (few kv heads, one sequence, decoding)
        int tPerUnit = Math.max(1, Math.min(s.t(), ROWS / group));
        int tBlocks = (s.t() + tPerUnit - 1) / tPerUnit;
        int gPerUnit = (long) s.b() * s.hkv() * tBlocks >= threads ? group : 1;
        // the scoring method depends on the shapes only, not on the split, so results do not depend on the thread count
        boolean packed = group * tPerUnit >= PACKED_ROWS;
        int gBlocks = group / gPerUnit;
        long units = (long) s.b() * s.hkv() * gBlocks * tBlocks;
        if (packed) {
            blocked(threads, s, qo, ko, vo, scale, causal, tPerUnit, tBlocks, out);
            return Tensor.of(out, q.shape());
        }
        Parallel.forRange(threads, units, 1, (from, to) -> {
            float[] scores = new float[gPerUnit * tPerUnit * s.s()];
            int[] rowQ = new int[gPerUnit * tPerUnit], rowOut = new int[rowQ.length], visible = new int[rowQ.length];
            for (long u = from; u < to; u++) {
                // causal blocks late in the sequence see more keys: pair first with last so chunks get even work
                long tb = u % tBlocks, rest = u / tBlocks;
                int tBlock = (int) (causal ? (tb % 2 == 0 ? tb / 2 : tBlocks - 1 - tb / 2) : tb);
                int gBlock = (int) (rest % gBlocks), kvh = (int) (rest / gBlocks % s.hkv()), b = (int) (rest / gBlocks / s.hkv());
                int t0 = tBlock * tPerUnit, t1 = Math.min(s.t(), t0 + tPerUnit);
                int rows = 0, maxVisible = 0;
                for (int t = t0; t < t1; t++)
                    for (int g = 0; g < gPerUnit; g++) {
                        int h = kvh * group + gBlock * gPerUnit + g;
                        rowQ[rows] = qo.at(b, t, h);
                        rowOut[rows] = ((b * s.t() + t) * s.h() + h) * s.d();
                        visible[rows] = causal ? s.s() - s.t() + t + 1 : s.s();
                        maxVisible = Math.max(maxVisible, visible[rows]);
                        rows++;
                    }
                unit(qo.a(), rowQ, ko, vo, b, kvh, s.d(), s.s(), rows, visible, maxVisible, scale, scores, out, rowOut);
            }
        });
        return Tensor.of(out, q.shape());
    }

    /**
     * Prefill and training: a unit is one batch row, one kv head and a block of positions with every query head of the
     * group. Its query rows, keys (transposed) and values are first copied into buffers padded to whole vectors, so the
     * products ({@link AttentionBlocks}) run on full vectors whatever the head dim.
     */
    private static void blocked(int threads, AttentionShape s, Operand qo, Operand ko, Operand vo, float scale, boolean causal,
                                int tPerUnit, int tBlocks, float[] out) {
        long units = (long) s.b() * s.hkv() * tBlocks;
        int group = s.group(), d = s.d(), dp = AttentionBlocks.pad(d), sp = AttentionBlocks.pad(s.s()), maxRows = group * tPerUnit;
        Parallel.forRange(threads, units, 1, (from, to) -> {
            float[] qs = new float[maxRows * dp], kt = new float[d * sp], vs = new float[s.s() * dp];
            float[] scores = new float[maxRows * sp], ob = new float[maxRows * dp], inv = new float[maxRows];
            int[] visible = new int[maxRows];
            for (long u = from; u < to; u++) {
                // causal blocks late in the sequence see more keys: pair first with last so chunks get even work
                long tb = u % tBlocks, rest = u / tBlocks;
                int tBlock = (int) (causal ? (tb % 2 == 0 ? tb / 2 : tBlocks - 1 - tb / 2) : tb);
                int kvh = (int) (rest % s.hkv()), b = (int) (rest / s.hkv());
                int t0 = tBlock * tPerUnit, t1 = Math.min(s.t(), t0 + tPerUnit);
                int rows = 0;
                for (int t = t0; t < t1; t++)
                    for (int g = 0; g < group; g++) {
                        System.arraycopy(qo.a(), qo.at(b, t, kvh * group + g), qs, rows * dp, d);
                        java.util.Arrays.fill(qs, rows * dp + d, rows * dp + dp, 0f);
                        visible[rows++] = causal ? s.s() - s.t() + t + 1 : s.s();
                    }
                int keys = visible[rows - 1];
                AttentionBlocks.gatherTransposed(ko, b, kvh, keys, d, kt, sp);
                AttentionBlocks.gatherRows(vo, b, kvh, keys, d, dp, vs);
                AttentionBlocks.timesTransposed(qs, dp, rows, kt, sp, d, visible, scale, scores, sp);
                // softmax numerators e^(s - max) over each row's visible keys, zero up to the last row's keys
                for (int r = 0; r < rows; r++) {
                    int o = r * sp;
                    float max = VecMath.max(scores, o, visible[r]);
                    inv[r] = 1f / VecSoftmax.expShiftedInto(scores, o, max, scores, o, visible[r]);
                    java.util.Arrays.fill(scores, o + visible[r], o + keys, 0f);
                }
                AttentionBlocks.times(scores, sp, rows, visible, vs, dp, inv, ob);
                int r = 0;
                for (int t = t0; t < t1; t++)
                    for (int g = 0; g < group; g++, r++)
                        System.arraycopy(ob, r * dp, out, ((b * s.t() + t) * s.h() + kvh * group + g) * d, d);
            }
        });
    }

    /** Attention of {@code rows} query rows against one kv head; normalised results land in out at rowOut[r]. */
    private static void unit(float[] qa, int[] rowQ, Operand k, Operand v, int b, int kvh, int d, int sLen, int rows,
                             int[] visible, int maxVisible, float scale, float[] scores, float[] out, int[] rowOut) {
        scoresByDot(qa, rowQ, k, b, kvh, d, sLen, rows, visible, maxVisible, scale, scores);
        // softmax numerators e^(s - max) per row over its visible keys, zero beyond (the weighted sum runs to maxVisible)
        float[] inv = new float[rows];
        for (int r = 0; r < rows; r++) {
            int o = r * sLen;
            float max = VecMath.max(scores, o, visible[r]);
            inv[r] = 1f / VecSoftmax.expShiftedInto(scores, o, max, scores, o, visible[r]);
            java.util.Arrays.fill(scores, o + visible[r], o + maxVisible, 0f);
        }
        // out[r] = inv[r] * sum_j w[r, j] v_j: two rows and up to 4 vectors of the head dim held in registers
        for (int r = 0; r < rows; r += 2) {
            int r1 = Math.min(r + 1, rows - 1); // an odd last row is computed twice
            int keys = Math.max(visible[r], visible[r1]);
            for (int c = 0; c < d; c += 4 * L)
                weightedSum(scores, r * sLen, r1 * sLen, keys, v, b, kvh, c, d, out, rowOut[r] + c, rowOut[r1] + c, inv[r], inv[r1]);
        }
    }

    /**
     * scores[r, j] = q_r . k_j * scale as dot products, k_j loaded once for four rows at a time (decoding: few
     * rows, where transposing K would cost more than it saves). Rows are ordered by position, so visible[]
     * never decreases with r and the first row that cannot see key j ends the sweep.
     */
    private static void scoresByDot(float[] qa, int[] rowQ, Operand k, int b, int kvh, int d, int sLen, int rows,
                                    int[] visible, int maxVisible, float scale, float[] scores) {
        for (int j = 0; j < maxVisible; j++) {
            int kj = k.at(b, j, kvh);
            int r = 0;
            for (; r + 4 <= rows && visible[r] > j; r += 4)
                dot4(qa, rowQ[r], rowQ[r + 1], rowQ[r + 2], rowQ[r + 3], k.a(), kj, d, scale, scores, r * sLen + j, sLen);
            for (; r < rows; r++)
                if (visible[r] > j) scores[r * sLen + j] = dot1(qa, rowQ[r], k.a(), kj, d) * scale;
        }
    }

    /**
     * out0[0..4L) = s0 * sum_j w0[j] v_j[c..c+4L), out1 likewise with w1: 8 accumulators in registers across the
     * keys, each v_j chunk loaded once for both rows. Lanes past the head dim d are masked off.
     */
    private static void weightedSum(float[] w, int w0, int w1, int keys, Operand v, int b, int kvh, int c, int d,
                                    float[] out, int o0, int o1, float s0, float s1) {
        VectorMask<Float> m0 = F.indexInRange(c, d), m1 = F.indexInRange(c + L, d);
        VectorMask<Float> m2 = F.indexInRange(c + 2 * L, d), m3 = F.indexInRange(c + 3 * L, d);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        float[] va = v.a();
        for (int j = 0; j < keys; j++) {
            int vj = v.at(b, j, kvh) + c;
            FloatVector x0 = FloatVector.broadcast(F, w[w0 + j]), x1 = FloatVector.broadcast(F, w[w1 + j]);
            FloatVector v0 = FloatVector.fromArray(F, va, vj, m0), v1 = FloatVector.fromArray(F, va, vj + L, m1);
            FloatVector v2 = FloatVector.fromArray(F, va, vj + 2 * L, m2), v3 = FloatVector.fromArray(F, va, vj + 3 * L, m3);
            a0 = v0.fma(x0, a0);
            a1 = v1.fma(x0, a1);
            a2 = v2.fma(x0, a2);
            a3 = v3.fma(x0, a3);
            b0 = v0.fma(x1, b0);
            b1 = v1.fma(x1, b1);
            b2 = v2.fma(x1, b2);
            b3 = v3.fma(x1, b3);
        }
        a0.mul(s0).intoArray(out, o0, m0);
        a1.mul(s0).intoArray(out, o0 + L, m1);
        a2.mul(s0).intoArray(out, o0 + 2 * L, m2);
        a3.mul(s0).intoArray(out, o0 + 3 * L, m3);
        b0.mul(s1).intoArray(out, o1, m0);
        b1.mul(s1).intoArray(out, o1 + L, m1);
        b2.mul(s1).intoArray(out, o1 + 2 * L, m2);
        b3.mul(s1).intoArray(out, o1 + 3 * L, m3);
    }

    /** One dot product, with exactly the arithmetic of each of {@link #dot4}'s rows (so grouping never changes a result). */
    private static float dot1(float[] q, int q0, float[] k, int kj, int d) {
        FloatVector s0 = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(d); i < bound; i += L) s0 = FloatVector.fromArray(F, q, q0 + i).fma(FloatVector.fromArray(F, k, kj + i), s0);
        float d0 = Lanes.sum(s0);
        for (; i < d; i++) d0 = Math.fma(q[q0 + i], k[kj + i], d0);
        return d0;
    }

    /** Four dot products against one key row, sharing its loads: scores[o + i*stride] = q_i . k * scale. */
    private static void dot4(float[] q, int q0, int q1, int q2, int q3, float[] k, int kj, int d, float scale,
                             float[] scores, int o, int stride) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int bound = F.loopBound(d); i < bound; i += L) {
            FloatVector kv = FloatVector.fromArray(F, k, kj + i);
            s0 = FloatVector.fromArray(F, q, q0 + i).fma(kv, s0);
            s1 = FloatVector.fromArray(F, q, q1 + i).fma(kv, s1);
            s2 = FloatVector.fromArray(F, q, q2 + i).fma(kv, s2);
            s3 = FloatVector.fromArray(F, q, q3 + i).fma(kv, s3);
        }
        float d0 = Lanes.sum(s0), d1 = Lanes.sum(s1);
        float d2 = Lanes.sum(s2), d3 = Lanes.sum(s3);
        for (; i < d; i++) {
            float kv = k[kj + i];
            d0 = Math.fma(q[q0 + i], kv, d0);
            d1 = Math.fma(q[q1 + i], kv, d1);
            d2 = Math.fma(q[q2 + i], kv, d2);
            d3 = Math.fma(q[q3 + i], kv, d3);
        }
        scores[o] = d0 * scale;
        scores[o + stride] = d1 * scale;
        scores[o + 2 * stride] = d2 * scale;
        scores[o + 3 * stride] = d3 * scale;
    }
}
