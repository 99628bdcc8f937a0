package org.prune4j.tensor;

import static org.prune4j.tensor.VecMath.F;
import static org.prune4j.tensor.VecMath.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Reductions over one dim (sum, mean, max, min) and argmax. The input is seen as [outer, n, inner] with n
 * the reduced dim. inner == 1 (the last dim): each row is cut into fixed blocks whose partial results are
 * combined in order, so a sum does not depend on the thread count. inner > 1: whole rows of length inner are
 * combined with vector ops, n of them one after another, so nothing is transposed.
 */
final class VecReduce {
    private VecReduce() {}

    /** Row block of the last-dim reductions: partial sums are combined in this fixed order. */
    private static final int BLOCK = 1 << 14;
    /** Columns per task when reducing a leading dim. */
    private static final int COLS = 1 << 12;

    static Tensor reduce(int threads, ReduceOp op, Tensor a, int dim, boolean keepDim) {
        int[] shape = a.shape();
        int d = Shapes.dim(dim, shape);
        int n = shape[d];
        if ((op == ReduceOp.MAX || op == ReduceOp.MIN) && n == 0)
            throw new ShapeException(op + " over empty dim " + dim + " of shape " + Shapes.str(shape));
        int[] outShape = Rows.reducedShape(shape, d, keepDim);
        float[] out = new float[Shapes.checkedArrayLength(outShape)];
        if (out.length == 0) return Tensor.of(out, outShape);
        if (n == 0) { // SUM of nothing is 0, MEAN of nothing 0/0 = NaN
            if (op == ReduceOp.MEAN) java.util.Arrays.fill(out, Float.NaN);
            return Tensor.of(out, outShape);
        }
        Tensor x = a.toF32();
        float[] xa = x.array();
        int xo = (int) x.offset();
        int inner = 1;
        for (int i = d + 1; i < shape.length; i++) inner *= shape[i];
        int outer = out.length / inner;
        if (inner == 1) lastDim(threads, op, xa, xo, outer, n, out);
        else leadingDim(threads, op, xa, xo, outer, n, inner, out);
        if (op == ReduceOp.MEAN) for (int i = 0; i < out.length; i++) out[i] /= n; // a division: one rounding, not two
        return Tensor.of(out, outShape);
    }

    /** out[r] = op over x[xo + r*n .. + n): [rows, n] -> [rows]. */
    private static void lastDim(int threads, ReduceOp op, float[] x, int xo, int rows, int n, float[] out) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        if (blocks == 1) {
            Parallel.forRange(threads, rows, Math.max(1, Broadcast.GRAIN / n), (from, to) -> {
                for (int r = (int) from; r < to; r++) out[r] = block(op, x, xo + r * n, n);
            });
            return;
        }
        float[] partial = new float[Math.multiplyExact(rows, blocks)]; // [rows, blocks]
        Parallel.forRange(threads, partial.length, 1, (from, to) -> {
            for (int u = (int) from; u < to; u++) {
                int r = u / blocks, blk = u % blocks, start = blk * BLOCK;
                partial[u] = block(op, x, xo + r * n + start, Math.min(BLOCK, n - start));
            }
        });
        for (int r = 0; r < rows; r++) out[r] = block(op, partial, r * blocks, blocks);
    }

    private static float block(ReduceOp op, float[] x, int from, int n) {
        return switch (op) {
            case SUM, MEAN -> VecMath.sum(x, from, n);
            case MAX -> VecMath.max(x, from, n);
            case MIN -> VecMath.min(x, from, n);
        };
    }

    /** out[o, i] = op over j of x[o, j, i]: [outer, n, inner] -> [outer, inner], vectorised along i. */
    private static void leadingDim(int threads, ReduceOp op, float[] x, int xo, int outer, int n, int inner, float[] out) {
        int colBlocks = (inner + COLS - 1) / COLS;
        long grain = Math.max(1, Broadcast.GRAIN / ((long) n * Math.min(inner, COLS)));
        Parallel.forRange(threads, (long) outer * colBlocks, grain, (from, to) -> {
            for (long u = from; u < to; u++) {
                int o = (int) (u / colBlocks), c0 = (int) (u % colBlocks) * COLS, w = Math.min(COLS, inner - c0);
                int dst = o * inner + c0;
                int src = xo + o * n * inner + c0;
                System.arraycopy(x, src, out, dst, w);
                for (int j = 1; j < n; j++) combine(op, x, src + j * inner, out, dst, w);
            }
        });
    }

    /** acc[ia..ia+w) = op(acc, x[ix..ix+w)). */
    private static void combine(ReduceOp op, float[] x, int ix, float[] acc, int ia, int w) {
        int i = 0, bound = F.loopBound(w);
        switch (op) {
            case SUM, MEAN -> {
                for (; i < bound; i += L) FloatVector.fromArray(F, acc, ia + i).add(FloatVector.fromArray(F, x, ix + i)).intoArray(acc, ia + i);
                for (; i < w; i++) acc[ia + i] += x[ix + i];
            }
            case MAX -> {
                for (; i < bound; i += L) FloatVector.fromArray(F, acc, ia + i).max(FloatVector.fromArray(F, x, ix + i)).intoArray(acc, ia + i);
                for (; i < w; i++) acc[ia + i] = Math.max(acc[ia + i], x[ix + i]);
            }
            case MIN -> {
                for (; i < bound; i += L) FloatVector.fromArray(F, acc, ia + i).min(FloatVector.fromArray(F, x, ix + i)).intoArray(acc, ia + i);
                for (; i < w; i++) acc[ia + i] = Math.min(acc[ia + i], x[ix + i]);
            }
        }
    }

    // ------------------------------------------------------------------ argmax

    static Indexed argmax(int threads, Tensor a, int dim) {
        int[] shape = a.shape();
        int d = Shapes.dim(dim, shape);
        int n = shape[d];
        if (n == 0) throw new ShapeException("argmax over empty dim " + dim + " of shape " + Shapes.str(shape));
        int[] outShape = Rows.reducedShape(shape, d, false);
        float[] vals = new float[Shapes.checkedArrayLength(outShape)];
        int[] idx = new int[vals.length];
        if (vals.length == 0) return new Indexed(Tensor.of(vals, outShape), idx);
        Tensor x = a.toF32();
        float[] xa = x.array();
        int xo = (int) x.offset();
        int inner = 1;
        for (int i = d + 1; i < shape.length; i++) inner *= shape[i];
        int outer = vals.length / inner, in = inner;
        if (inner == 1) {
            Parallel.forRange(threads, outer, Math.max(1, Broadcast.GRAIN / n), (from, to) -> {
                for (int r = (int) from; r < to; r++) {
                    int j = argmaxRow(xa, xo + r * n, n);
                    idx[r] = j;
                    vals[r] = xa[xo + r * n + j];
                }
            });
        } else {
            Parallel.forRange(threads, outer, Math.max(1, Broadcast.GRAIN / ((long) n * inner)), (from, to) -> {
                for (int o = (int) from; o < to; o++) {
                    int dst = o * in, src = xo + o * n * in;
                    System.arraycopy(xa, src, vals, dst, in);
                    for (int j = 1; j < n; j++)
                        for (int i = 0; i < in; i++) {
                            float best = vals[dst + i], v = xa[src + j * in + i];
                            if (!Float.isNaN(best) && (v > best || Float.isNaN(v))) {
                                vals[dst + i] = v;
                                idx[dst + i] = j;
                            }
                        }
                }
            });
        }
        return new Indexed(Tensor.of(vals, outShape), idx);
    }

    /** First index of the row's maximum (the first NaN if there is one): one vector pass for the max, one to find it. */
    static int argmaxRow(float[] x, int from, int n) {
        float m = VecMath.max(x, from, n);
        int i = 0, bound = F.loopBound(n);
        if (Float.isNaN(m)) {
            for (; i < bound; i += L) {
                int f = FloatVector.fromArray(F, x, from + i).test(VectorOperators.IS_NAN).firstTrue();
                if (f < L) return i + f;
            }
            for (; i < n; i++) if (Float.isNaN(x[from + i])) return i;
        } else {
            for (; i < bound; i += L) {
                int f = FloatVector.fromArray(F, x, from + i).eq(m).firstTrue();
                if (f < L) return i + f;
            }
            for (; i < n; i++) if (x[from + i] == m) return i;
        }
        throw new IllegalStateException("argmax: maximum " + m + " not found in its row");
    }
}
