package org.prune4j.tensor;

import static org.prune4j.tensor.VecMath.F;
import static org.prune4j.tensor.VecMath.L;

import jdk.incubator.vector.FloatVector;

/**
 * The small dense products of blocked attention (forward over a block of query rows, and backward), on buffers padded
 * so that every access is a whole vector: head rows of {@code dp = pad(D)} floats (zeros past D), key rows of
 * {@code sp = pad(S)} floats. Rows are query rows ordered by position, so the number of keys a row sees (its limit)
 * never decreases with the row: the last row of a group of four bounds the group's keys.
 *
 * <p>Each output element is one sequential fma chain (over the head dim for scores, over keys or rows for the
 * weighted sums), so results do not depend on how rows are grouped or how the work is split over threads.
 */
final class AttentionBlocks {
    private AttentionBlocks() {}

    /** n rounded up to whole vectors. */
    static int pad(int n) {
        return (n + L - 1) / L * L;
    }

    // ------------------------------------------------------------------ gathers and scatters

    /** A [B, N, Heads, D] operand with a contiguous head dim: element (b, n, h, 0) is at {@link #at}. */
    record Operand(float[] a, long off, long sb, long sn, long sh) {
        static Operand of(Tensor x) {
            if (!(x.storage() instanceof ArrayStorage) || (x.size(3) > 1 && x.stride(3) != 1)) x = x.copy();
            return new Operand(x.array(), x.offset(), x.stride(0), x.stride(1), x.stride(2));
        }

        int at(int b, int n, int h) {
            return (int) (off + b * sb + n * sn + h * sh);
        }
    }

    /** dst[j * dp + i] = x[b, j, h, i] for j < n, zeros for i in [d, dp). */
    static void gatherRows(Operand x, int b, int h, int n, int d, int dp, float[] dst) {
        for (int j = 0; j < n; j++) {
            System.arraycopy(x.a(), x.at(b, j, h), dst, j * dp, d);
            java.util.Arrays.fill(dst, j * dp + d, j * dp + dp, 0f);
        }
    }

    /** dst[i * ld + j] = x[b, j, h, i] for j < n (the transpose), zeros for j in [n, pad(n)). */
    static void gatherTransposed(Operand x, int b, int h, int n, int d, float[] dst, int ld) {
        float[] a = x.a();
        for (int j = 0; j < n; j++) {
            int o = x.at(b, j, h);
            for (int i = 0; i < d; i++) dst[i * ld + j] = a[o + i];
        }
        for (int i = 0; i < d; i++) java.util.Arrays.fill(dst, i * ld + n, i * ld + pad(n), 0f);
    }

    // ------------------------------------------------------------------ products

    /**
     * out[r, j] = scale * sum_{i < d} a[r, i] bt[i, j] for every row r and j below its limit rounded up to whole
     * vectors (a row group computes up to its last row's limit; entries past a row's own limit are to be ignored).
     * a [rows, lda], bt [d, ldb], out [rows, ldo]; the chain over i runs in order, then one multiply by scale.
     */
    static void timesTransposed(float[] a, int lda, int rows, float[] bt, int ldb, int d, int[] limit, float scale, float[] out, int ldo) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int end = pad(limit[r + 3]);
            int a0 = r * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            int o0 = r * ldo, o1 = o0 + ldo, o2 = o1 + ldo, o3 = o2 + ldo;
            int j = 0;
            for (; j + 2 * L <= end; j += 2 * L) {
                FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
                for (int i = 0, bi = j; i < d; i++, bi += ldb) {
                    FloatVector b0 = FloatVector.fromArray(F, bt, bi), b1 = FloatVector.fromArray(F, bt, bi + L);
                    FloatVector x0 = FloatVector.broadcast(F, a[a0 + i]), x1 = FloatVector.broadcast(F, a[a1 + i]);
                    c00 = b0.fma(x0, c00);
                    c01 = b1.fma(x0, c01);
                    c10 = b0.fma(x1, c10);
                    c11 = b1.fma(x1, c11);
                    FloatVector x2 = FloatVector.broadcast(F, a[a2 + i]), x3 = FloatVector.broadcast(F, a[a3 + i]);
                    c20 = b0.fma(x2, c20);
                    c21 = b1.fma(x2, c21);
                    c30 = b0.fma(x3, c30);
                    c31 = b1.fma(x3, c31);
                }
                c00.mul(scale).intoArray(out, o0 + j);
                c01.mul(scale).intoArray(out, o0 + j + L);
                c10.mul(scale).intoArray(out, o1 + j);
                c11.mul(scale).intoArray(out, o1 + j + L);
                c20.mul(scale).intoArray(out, o2 + j);
                c21.mul(scale).intoArray(out, o2 + j + L);
                c30.mul(scale).intoArray(out, o3 + j);
                c31.mul(scale).intoArray(out, o3 + j + L);
            }
            if (j < end) {
                FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
                for (int i = 0, bi = j; i < d; i++, bi += ldb) {
                    FloatVector b0 = FloatVector.fromArray(F, bt, bi);
                    c0 = b0.fma(FloatVector.broadcast(F, a[a0 + i]), c0);
                    c1 = b0.fma(FloatVector.broadcast(F, a[a1 + i]), c1);
                    c2 = b0.fma(FloatVector.broadcast(F, a[a2 + i]), c2);
                    c3 = b0.fma(FloatVector.broadcast(F, a[a3 + i]), c3);
                }
                c0.mul(scale).intoArray(out, o0 + j);
                c1.mul(scale).intoArray(out, o1 + j);
                c2.mul(scale).intoArray(out, o2 + j);
                c3.mul(scale).intoArray(out, o3 + j);
            }
        }
        for (; r < rows; r++) {
            int end = pad(limit[r]), a0 = r * lda, o0 = r * ldo;
            for (int j = 0; j < end; j += L) {
                FloatVector c0 = FloatVector.zero(F);
                for (int i = 0, bi = j; i < d; i++, bi += ldb) c0 = FloatVector.fromArray(F, bt, bi).fma(FloatVector.broadcast(F, a[a0 + i]), c0);
                c0.mul(scale).intoArray(out, o0 + j);
            }
        }
    }

    /**
     * out[r, 0..dp) = s[r] * sum_j w[r, j] v[j, 0..dp) over the keys of r's group of four (w must hold zeros from each
     * row's own limit up to its group's). w [rows, ldw], v [keys, dp], out [rows, dp]; s null means no final multiply.
     */
    static void times(float[] w, int ldw, int rows, int[] limit, float[] v, int dp, float[] s, float[] out) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int keys = limit[r + 3];
            int w0 = r * ldw, w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
            int o0 = r * dp, o1 = o0 + dp, o2 = o1 + dp, o3 = o2 + dp;
            float s0 = s == null ? 1f : s[r], s1 = s == null ? 1f : s[r + 1], s2 = s == null ? 1f : s[r + 2], s3 = s == null ? 1f : s[r + 3];
            int c = 0;
            for (; c + 2 * L <= dp; c += 2 * L) {
                FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
                for (int j = 0, vj = c; j < keys; j++, vj += dp) {
                    FloatVector v0 = FloatVector.fromArray(F, v, vj), v1 = FloatVector.fromArray(F, v, vj + L);
                    FloatVector x0 = FloatVector.broadcast(F, w[w0 + j]), x1 = FloatVector.broadcast(F, w[w1 + j]);
                    c00 = v0.fma(x0, c00);
                    c01 = v1.fma(x0, c01);
                    c10 = v0.fma(x1, c10);
                    c11 = v1.fma(x1, c11);
                    FloatVector x2 = FloatVector.broadcast(F, w[w2 + j]), x3 = FloatVector.broadcast(F, w[w3 + j]);
                    c20 = v0.fma(x2, c20);
                    c21 = v1.fma(x2, c21);
                    c30 = v0.fma(x3, c30);
                    c31 = v1.fma(x3, c31);
                }
                store(c00, s0, out, o0 + c);
                store(c01, s0, out, o0 + c + L);
                store(c10, s1, out, o1 + c);
                store(c11, s1, out, o1 + c + L);
                store(c20, s2, out, o2 + c);
                store(c21, s2, out, o2 + c + L);
                store(c30, s3, out, o3 + c);
                store(c31, s3, out, o3 + c + L);
            }
            if (c < dp) {
                FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
                for (int j = 0, vj = c; j < keys; j++, vj += dp) {
                    FloatVector v0 = FloatVector.fromArray(F, v, vj);
                    c0 = v0.fma(FloatVector.broadcast(F, w[w0 + j]), c0);
                    c1 = v0.fma(FloatVector.broadcast(F, w[w1 + j]), c1);
                    c2 = v0.fma(FloatVector.broadcast(F, w[w2 + j]), c2);
                    c3 = v0.fma(FloatVector.broadcast(F, w[w3 + j]), c3);
                }
                store(c0, s0, out, o0 + c);
                store(c1, s1, out, o1 + c);
                store(c2, s2, out, o2 + c);
                store(c3, s3, out, o3 + c);
            }
        }
        for (; r < rows; r++) {
            int keys = limit[r], w0 = r * ldw, o0 = r * dp;
            float s0 = s == null ? 1f : s[r];
            for (int c = 0; c < dp; c += L) {
                FloatVector c0 = FloatVector.zero(F);
                for (int j = 0, vj = c; j < keys; j++, vj += dp) c0 = FloatVector.fromArray(F, v, vj).fma(FloatVector.broadcast(F, w[w0 + j]), c0);
                store(c0, s0, out, o0 + c);
            }
        }
    }

    private static void store(FloatVector c, float s, float[] out, int o) {
        (s == 1f ? c : c.mul(s)).intoArray(out, o);
    }

    /**
     * acc[j, 0..dp) += sum_r w[r, j] x[r, 0..dp) for every key j < cols, the sum running over the rows that see key j
     * (limit[r] > j) in order. w [rows, ldw] must hold zeros from each row's limit up to pad(cols); x [rows, dp];
     * acc [cols, dp]. Keys go four at a time, each row's x chunk loaded once for the four.
     */
    static void accumulateTransposed(float[] w, int ldw, int rows, int[] limit, int cols, float[] x, int dp, float[] acc) {
        int first = 0; // first row that sees key j; limits never decrease, so it only moves forward
        int j = 0;
        for (; j + 4 <= cols; j += 4) {
            while (first < rows && limit[first] <= j) first++;
            if (first == rows) return;
            int k0 = j * dp, k1 = k0 + dp, k2 = k1 + dp, k3 = k2 + dp;
            int c = 0;
            for (; c + 2 * L <= dp; c += 2 * L) {
                FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
                for (int r = first, wr = first * ldw + j, xr = first * dp + c; r < rows; r++, wr += ldw, xr += dp) {
                    FloatVector x0 = FloatVector.fromArray(F, x, xr), x1 = FloatVector.fromArray(F, x, xr + L);
                    FloatVector y0 = FloatVector.broadcast(F, w[wr]), y1 = FloatVector.broadcast(F, w[wr + 1]);
                    c00 = x0.fma(y0, c00);
                    c01 = x1.fma(y0, c01);
                    c10 = x0.fma(y1, c10);
                    c11 = x1.fma(y1, c11);
                    FloatVector y2 = FloatVector.broadcast(F, w[wr + 2]), y3 = FloatVector.broadcast(F, w[wr + 3]);
                    c20 = x0.fma(y2, c20);
                    c21 = x1.fma(y2, c21);
                    c30 = x0.fma(y3, c30);
                    c31 = x1.fma(y3, c31);
                }
                addInto(c00, acc, k0 + c);
                addInto(c01, acc, k0 + c + L);
                addInto(c10, acc, k1 + c);
                addInto(c11, acc, k1 + c + L);
                addInto(c20, acc, k2 + c);
                addInto(c21, acc, k2 + c + L);
                addInto(c30, acc, k3 + c);
                addInto(c31, acc, k3 + c + L);
            }
            if (c < dp) {
                FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
                for (int r = first, wr = first * ldw + j, xr = first * dp + c; r < rows; r++, wr += ldw, xr += dp) {
                    FloatVector x0 = FloatVector.fromArray(F, x, xr);
                    c0 = x0.fma(FloatVector.broadcast(F, w[wr]), c0);
                    c1 = x0.fma(FloatVector.broadcast(F, w[wr + 1]), c1);
                    c2 = x0.fma(FloatVector.broadcast(F, w[wr + 2]), c2);
                    c3 = x0.fma(FloatVector.broadcast(F, w[wr + 3]), c3);
                }
                addInto(c0, acc, k0 + c);
                addInto(c1, acc, k1 + c);
                addInto(c2, acc, k2 + c);
                addInto(c3, acc, k3 + c);
            }
        }
        for (; j < cols; j++) {
            while (first < rows && limit[first] <= j) first++;
            if (first == rows) return;
            for (int c = 0; c < dp; c += L) {
                FloatVector c0 = FloatVector.zero(F);
                for (int r = first, wr = first * ldw + j, xr = first * dp + c; r < rows; r++, wr += ldw, xr += dp)
                    c0 = FloatVector.fromArray(F, x, xr).fma(FloatVector.broadcast(F, w[wr]), c0);
                addInto(c0, acc, j * dp + c);
            }
        }
    }

    private static void addInto(FloatVector c, float[] acc, int o) {
        FloatVector.fromArray(F, acc, o).add(c).intoArray(acc, o);
    }
}
