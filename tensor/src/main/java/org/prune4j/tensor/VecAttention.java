package org.prune4j.tensor;

import static org.prune4j.tensor.VecMath.F;
import static org.prune4j.tensor.VecMath.L;

import jdk.incubator.vector.FloatVector;
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
        int gBlocks = group / gPerUnit;
        long units = (long) s.b() * s.hkv() * gBlocks * tBlocks;
        Parallel.forRange(threads, units, 1, (from, to) -> {
            float[] scores = new float[gPerUnit * tPerUnit * s.s()];
            float[] acc = new float[gPerUnit * tPerUnit * s.d()];
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
                unit(qo.a, rowQ, ko, vo, b, kvh, s.d(), s.s(), rows, visible, maxVisible, scale, scores, acc);
                for (int r = 0; r < rows; r++) System.arraycopy(acc, r * s.d(), out, rowOut[r], s.d());
            }
        });
        return Tensor.of(out, q.shape());
    }

    /** Attention of {@code rows} query rows against one kv head; results (normalised) land in acc [rows, D]. */
    private static void unit(float[] qa, int[] rowQ, Operand k, Operand v, int b, int kvh, int d, int sLen, int rows,
                             int[] visible, int maxVisible, float scale, float[] scores, float[] acc) {
        // scores[r, j] = q_r . k_j * scale, k_j loaded once for all rows
        for (int j = 0; j < maxVisible; j++) {
            int kj = k.at(b, j, kvh);
            int r = 0;
            for (; r + 4 <= rows && visible[r + 3] > j && visible[r] > j; r += 4)
                dot4(qa, rowQ[r], rowQ[r + 1], rowQ[r + 2], rowQ[r + 3], k.a, kj, d, scale, scores, r * sLen + j, sLen);
            for (; r < rows; r++)
                if (visible[r] > j) scores[r * sLen + j] = VecMath.dot(qa, rowQ[r], k.a, kj, d) * scale;
        }
        // softmax of each row over its visible keys (row r's weights are left unnormalised; 1/sum applied at the end)
        float[] inv = new float[rows];
        for (int r = 0; r < rows; r++) {
            int o = r * sLen;
            float max = VecMath.max(scores, o, visible[r]);
            inv[r] = 1f / VecSoftmax.expShiftedInto(scores, o, max, scores, o, visible[r]);
        }
        // acc[r] = sum_j w[r, j] v_j, v_j loaded once for all rows
        java.util.Arrays.fill(acc, 0, rows * d, 0f);
        for (int j = 0; j < maxVisible; j++) {
            int vj = v.at(b, j, kvh);
            for (int r = 0; r < rows; r++)
                if (visible[r] > j) VecMath.axpy(scores[r * sLen + j], v.a, vj, acc, r * d, d);
        }
        for (int r = 0; r < rows; r++) VecMath.scale(acc, r * d, d, inv[r]);
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
        float d0 = s0.reduceLanes(VectorOperators.ADD), d1 = s1.reduceLanes(VectorOperators.ADD);
        float d2 = s2.reduceLanes(VectorOperators.ADD), d3 = s3.reduceLanes(VectorOperators.ADD);
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
