package org.prune4j.tensor;

import static org.prune4j.tensor.VecMath.F;
import static org.prune4j.tensor.VecMath.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Fused causal attention with grouped key/value heads: q [B, T, H, D], k and v [B, S, Hkv, D] -> [B, T, H, D].
 *
 * <p>Work unit: one batch row b, one kv head, a block of query positions and the query heads that share the
 * kv head (GQA's group). For each key j the unit loads k_j once and scores it against all its query rows,
 * softmaxes each score row, then loads each v_j once and accumulates it into all its output rows. So K and
 * V are read once per kv head, not once per query head: what matters for decoding (T = 1, long S), which is
 * memory-bound. q, k and v are read in place through their strides (a KV cache narrowed to S positions is
 * not copied); only storage that is not a float array, or a head dim that is not contiguous, is copied first.
 */
final class VecAttention {
    private VecAttention() {}

    /** Query rows (group heads x positions) per unit; bounds the score buffer at ROWS x S floats. */
    private static final int ROWS = 64;
    /** Calls with at least this many query rows per kv head and block transpose key blocks (prefill); fewer use dot products (decode). */
    private static final int PACKED_ROWS = 16;

    /** A [B, N, Heads, D] operand with a contiguous head dim: element (b, n, h, 0) is at at(b, n, h). */
    private record Operand(float[] a, long off, long sb, long sn, long sh) {
        static Operand of(Tensor x) {
            if (!(x.storage() instanceof ArrayStorage) || (x.size(3) > 1 && x.stride(3) != 1)) x = x.copy();
            return new Operand(x.array(), x.offset(), x.stride(0), x.stride(1), x.stride(2));
        }

        int at(int b, int n, int h) {
            return (int) (off + b * sb + n * sn + h * sh);
        }
    }

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
                unit(qo.a, rowQ, ko, vo, b, kvh, s.d(), s.s(), rows, visible, maxVisible, scale, packed, scores, out, rowOut);
            }
        });
        return Tensor.of(out, q.shape());
    }

    /** Attention of {@code rows} query rows against one kv head; normalised results land in out at rowOut[r]. */
    private static void unit(float[] qa, int[] rowQ, Operand k, Operand v, int b, int kvh, int d, int sLen, int rows,
                             int[] visible, int maxVisible, float scale, boolean packed, float[] scores, float[] out, int[] rowOut) {
        if (packed) scoresPacked(qa, rowQ, k, b, kvh, d, sLen, rows, visible, maxVisible, scale, scores);
        else scoresByDot(qa, rowQ, k, b, kvh, d, sLen, rows, visible, maxVisible, scale, scores);
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
                dot4(qa, rowQ[r], rowQ[r + 1], rowQ[r + 2], rowQ[r + 3], k.a, kj, d, scale, scores, r * sLen + j, sLen);
            for (; r < rows; r++)
                if (visible[r] > j) scores[r * sLen + j] = dot1(qa, rowQ[r], k.a, kj, d) * scale;
        }
    }

    /**
     * scores[r, j0..j0+L) for L keys at once: the key block is transposed into kt [D, L] (once for all rows), then
     * each row is L lanes of accumulators fed by one broadcast q_r[i] per i: no horizontal sums at all. Entries past
     * a row's visible keys are computed too and ignored (the softmax stops at visible[r]).
     */
    private static void scoresPacked(float[] qa, int[] rowQ, Operand k, int b, int kvh, int d, int sLen, int rows,
                                     int[] visible, int maxVisible, float scale, float[] scores) {
        float[] kt = new float[d * L];
        for (int j0 = 0; j0 < maxVisible; j0 += L) {
            int w = Math.min(L, maxVisible - j0);
            for (int jj = 0; jj < w; jj++) {
                int kj = k.at(b, j0 + jj, kvh);
                for (int i = 0; i < d; i++) kt[i * L + jj] = k.a[kj + i];
            }
            VectorMask<Float> m = F.indexInRange(0, w);
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                if (visible[r + 3] <= j0) continue; // none of the four sees this block
                int q0 = rowQ[r], q1 = rowQ[r + 1], q2 = rowQ[r + 2], q3 = rowQ[r + 3];
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0; i < d; i++) {
                    FloatVector kv = FloatVector.fromArray(F, kt, i * L);
                    a0 = kv.fma(FloatVector.broadcast(F, qa[q0 + i]), a0);
                    a1 = kv.fma(FloatVector.broadcast(F, qa[q1 + i]), a1);
                    a2 = kv.fma(FloatVector.broadcast(F, qa[q2 + i]), a2);
                    a3 = kv.fma(FloatVector.broadcast(F, qa[q3 + i]), a3);
                }
                a0.mul(scale).intoArray(scores, r * sLen + j0, m);
                a1.mul(scale).intoArray(scores, (r + 1) * sLen + j0, m);
                a2.mul(scale).intoArray(scores, (r + 2) * sLen + j0, m);
                a3.mul(scale).intoArray(scores, (r + 3) * sLen + j0, m);
            }
            for (; r < rows; r++) {
                if (visible[r] <= j0) continue;
                FloatVector a0 = FloatVector.zero(F);
                for (int i = 0; i < d; i++) a0 = FloatVector.fromArray(F, kt, i * L).fma(FloatVector.broadcast(F, qa[rowQ[r] + i]), a0);
                a0.mul(scale).intoArray(scores, r * sLen + j0, m);
            }
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
        float[] va = v.a;
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
