package org.prune4j.tensor;

/**
 * How an elementwise op walks operands broadcast to one output shape: every operand becomes a dense F32
 * array (copied only when it is not one already), output dims of size 1 are dropped, and neighbouring dims
 * that every operand steps through in the same way are merged. What is left is a loop over "runs": the
 * innermost merged dim, along which each operand either advances by 1 or stays put (step 0, broadcast).
 * [B, H, T, S] + mask [T, S] becomes B*H runs of T*S; [R, C] / [R, 1] becomes R runs of C with a step-0 divisor.
 */
final class Broadcast {
    /** The body of an elementwise loop: {@code n} outputs from {@code out[o]}, operand i starting at {@code off[i]}. */
    @FunctionalInterface
    interface Run {
        void run(int n, int o, int off0, int off1, int off2);
    }

    /** Output elements per parallel chunk below which splitting costs more than it saves. */
    static final long GRAIN = 1 << 15;

    final float[][] data;
    final long numel;
    /** Length of the innermost run. */
    final int inner;
    /** Per operand: 1 if it advances along the run, 0 if broadcast along it. */
    final int[] step;
    private final int[] outer;          // merged outer dim sizes, innermost first
    private final long[][] outerStride; // [operand][outer dim]
    private final long[] base;

    private Broadcast(float[][] data, long numel, int inner, int[] step, int[] outer, long[][] outerStride, long[] base) {
        this.data = data;
        this.numel = numel;
        this.inner = inner;
        this.step = step;
        this.outer = outer;
        this.outerStride = outerStride;
        this.base = base;
    }

    /** The plan for {@code operands} broadcast to {@code shape} (which they must broadcast to; numel > 0). */
    static Broadcast of(int[] shape, Tensor... operands) {
        int k = operands.length, r = shape.length;
        float[][] data = new float[k][];
        long[][] st = new long[k][];
        long[] base = new long[k];
        for (int i = 0; i < k; i++) {
            Tensor d = operands[i].toF32();
            Tensor e = d.expand(shape);
            data[i] = d.array();
            st[i] = e.strides();
            base[i] = e.offset();
        }
        // merge dims innermost first; a dim joins the current run when every operand's stride continues it
        int[] sizes = new int[r + 1];
        long[][] strides = new long[k][r + 1];
        int m = 0;
        long cur = 1;
        long[] curStride = new long[k];
        for (int d = r - 1; d >= 0; d--) {
            if (shape[d] == 1) continue;
            boolean merge = cur > 1;
            for (int i = 0; merge && i < k; i++) merge = st[i][d] == curStride[i] * cur;
            if (merge) {
                cur *= shape[d];
            } else {
                if (cur > 1) {
                    sizes[m] = (int) cur;
                    for (int i = 0; i < k; i++) strides[i][m] = curStride[i];
                    m++;
                }
                cur = shape[d];
                for (int i = 0; i < k; i++) curStride[i] = st[i][d];
            }
        }
        sizes[m] = (int) cur;
        for (int i = 0; i < k; i++) strides[i][m] = curStride[i];
        m++;
        int inner = sizes[0];
        int[] step = new int[k];
        for (int i = 0; i < k; i++) {
            long s = strides[i][0];
            if (inner > 1 && s != 0 && s != 1) throw new IllegalStateException("broadcast plan: innermost stride " + s + " for " + Shapes.str(shape));
            step[i] = inner > 1 ? (int) s : 0;
        }
        int[] outer = new int[m - 1];
        long[][] outerStride = new long[k][m - 1];
        for (int j = 1; j < m; j++) {
            outer[j - 1] = sizes[j];
            for (int i = 0; i < k; i++) outerStride[i][j - 1] = strides[i][j];
        }
        return new Broadcast(data, Shapes.numel(shape), inner, step, outer, outerStride, base);
    }

    /** Runs {@code body} over every output element, split into contiguous chunks across {@code threads}. */
    void forEach(int threads, Run body) {
        int k = data.length;
        Parallel.forRange(threads, numel, GRAIN, (from, to) -> {
            long row = from / inner;
            int col = (int) (from % inner);
            int[] idx = new int[outer.length];
            long[] off = base.clone();
            for (int j = 0; j < outer.length; j++) { // decompose the row index, innermost outer dim first
                idx[j] = (int) (row % outer[j]);
                row /= outer[j];
                for (int i = 0; i < k; i++) off[i] += idx[j] * outerStride[i][j];
            }
            long pos = from;
            while (pos < to) {
                int n = (int) Math.min(inner - col, to - pos);
                body.run(n, (int) pos, (int) (off[0] + (long) col * step[0]),
                        k > 1 ? (int) (off[1] + (long) col * step[1]) : 0,
                        k > 2 ? (int) (off[2] + (long) col * step[2]) : 0);
                pos += n;
                col = 0;
                for (int j = 0; j < outer.length; j++) {
                    idx[j]++;
                    for (int i = 0; i < k; i++) off[i] += outerStride[i][j];
                    if (idx[j] < outer[j]) break;
                    for (int i = 0; i < k; i++) off[i] -= outer[j] * outerStride[i][j];
                    idx[j] = 0;
                }
            }
        });
    }
}
