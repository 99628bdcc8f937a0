package org.prune4j.tensor;

/**
 * Gathers and joins: embedding rows, concat, index-select. All are copies of contiguous runs, so they use
 * {@link System#arraycopy} (already vectorised by the JVM) or {@link Strided#load} (which converts mapped
 * BF16/F16 rows with vectors), in parallel over runs.
 */
final class VecIndexing {
    private VecIndexing() {}

    static Tensor embedding(int threads, Tensor table, int[] ids) {
        if (table.rank() != 2) throw new ShapeException("embedding table must be [V, C], got " + Shapes.str(table.shape()));
        int v = table.size(0), c = table.size(1);
        for (int i = 0; i < ids.length; i++)
            if (ids[i] < 0 || ids[i] >= v)
                throw new IndexOutOfBoundsException("token id " + ids[i] + " at position " + i + " is outside the vocabulary [0, " + v + ")");
        float[] out = new float[Math.multiplyExact(ids.length, c)]; // [N, C]
        long rs = table.stride(0), cs = table.stride(1);
        Parallel.forRange(threads, ids.length, Math.max(1, Broadcast.GRAIN / Math.max(1, c)), (from, to) -> {
            for (int i = (int) from; i < to; i++) Strided.load(table.storage(), table.offset() + ids[i] * rs, cs, c, out, i * c);
        });
        return Tensor.of(out, ids.length, c);
    }

    static Tensor concat(int threads, int dim, Tensor... ts) {
        ConcatShape s = ConcatShape.of(dim, ts);
        int[] shape = s.outShape();
        int d = s.dim();
        float[] out = new float[Shapes.checkedArrayLength(shape)]; // [.., sum of parts' dim d, ..]
        if (out.length == 0) return Tensor.of(out, shape);
        int inner = 1;
        for (int i = d + 1; i < shape.length; i++) inner *= shape[i];
        int outer = out.length / (shape[d] * inner), total = shape[d] * inner;
        int at = 0;
        for (Tensor t : ts) {
            int len = t.size(d) * inner, dstStart = at;
            at += len;
            if (len == 0) continue;
            Tensor x = t.toF32();
            float[] xa = x.array();
            int xo = (int) x.offset();
            Parallel.forRange(threads, outer, Math.max(1, Broadcast.GRAIN / len),
                    (from, to) -> { // part row o -> output row o, columns [dstStart, dstStart + len)
                        for (int o = (int) from; o < to; o++) System.arraycopy(xa, xo + o * len, out, o * total + dstStart, len);
                    });
        }
        return Tensor.of(out, shape);
    }

    static Tensor indexSelect(int threads, Tensor a, int dim, int[] index) {
        int[] shape = a.shape();
        int d = Shapes.dim(dim, shape);
        int n = shape[d];
        for (int i : index)
            if (i < 0 || i >= n) throw new ShapeException("indexSelect index " + i + " is out of range for dim " + dim + " of shape " + Shapes.str(shape));
        int[] outShape = shape.clone();
        outShape[d] = index.length;
        float[] out = new float[Shapes.checkedArrayLength(outShape)]; // [.., index.length, ..]
        if (out.length == 0) return Tensor.of(out, outShape);
        int inner = 1;
        for (int i = d + 1; i < shape.length; i++) inner *= shape[i];
        int outer = out.length / (index.length * inner), in = inner, m = index.length;
        if (!a.isDenseArray() && in >= 64) { // e.g. rows of a mapped BF16 weight: read (and convert) only the selected slabs
            Tensor src = a;
            Parallel.forRange(threads, (long) outer * m, Math.max(1, Broadcast.GRAIN / in), (from, to) -> {
                for (long u = from; u < to; u++) {
                    int o = (int) (u / m), i = (int) (u % m);
                    leading(src.select(d, index[i]), o, d).copyTo(out, (int) (u * in));
                }
            });
            return Tensor.of(out, outShape);
        }
        a = a.toF32();
        float[] xa = a.array();
        int xo = (int) a.offset();
        Parallel.forRange(threads, outer, Math.max(1, Broadcast.GRAIN / ((long) m * in)), (from, to) -> {
            for (int o = (int) from; o < to; o++) {
                int src = xo + o * n * in, dst = o * m * in;
                if (in == 1) for (int i = 0; i < m; i++) out[dst + i] = xa[src + index[i]];
                else for (int i = 0; i < m; i++) System.arraycopy(xa, src + index[i] * in, out, dst + i * in, in);
            }
        });
        return Tensor.of(out, outShape);
    }

    /** The sub-tensor at row-major position {@code o} of the first {@code lead} dims of t. */
    private static Tensor leading(Tensor t, int o, int lead) {
        int[] shape = t.shape(), idx = new int[lead];
        for (int j = lead - 1; j >= 0; j--) {
            idx[j] = o % shape[j];
            o /= shape[j];
        }
        for (int j = 0; j < lead; j++) t = t.select(0, idx[j]);
        return t;
    }
}
