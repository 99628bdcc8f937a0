package org.prune4j.opencl;

import java.util.Arrays;
import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;

/** Host-side staging for uploads: any view (strided, broadcast, BF16/F16, mapped) as a dense F32 array. */
final class Dense {
    private Dense() {}

    /** Maximum rank the broadcast kernels index (kernels.cl MAX_RANK); higher ranks are collapsed first. */
    static final int MAX_RANK = 8;

    /**
     * The values of {@code t} in row-major order as an array of exactly {@code numel} floats: the backing array
     * itself when it already is one (no copy), else a fresh copy (Aparapi uploads whole arrays).
     */
    static float[] of(Tensor t) {
        if (t.isDenseArray() && t.offset() == 0 && t.array().length == t.numel()) return t.array();
        return t.toFloatArray();
    }

    /**
     * Index metadata for the broadcast kernels: {@code [rank, shape..., strides of operand 0..., strides of operand 1...]}
     * where operand i is uploaded densely in its own shape and its strides are 0 along broadcast dims. Adjacent dims
     * that every operand walks contiguously are merged, so same-shape operands index as one flat dim.
     */
    static int[] broadcastMeta(int[] out, int[]... operands) {
        int r = out.length;
        long[][] st = new long[operands.length][r];
        for (int o = 0; o < operands.length; o++) {
            int[] s = operands[o];
            long[] own = Shapes.contiguousStrides(s);
            for (int d = 0; d < r; d++) {
                int j = d - (r - s.length);
                st[o][d] = (j < 0 || (s[j] == 1 && out[d] != 1)) ? 0 : own[j];
            }
        }
        // merge dim d into d+1 when every operand's stride[d] == stride[d+1] * out[d+1]; drop size-1 dims
        int[] shape = new int[r];
        long[][] ms = new long[operands.length][r];
        int n = 0;
        for (int d = 0; d < r; d++) {
            if (out[d] == 1) continue;
            if (n > 0) {
                boolean merge = true;
                for (long[] s : st) {
                    int prev = lastKept(out, d);
                    if (s[prev] != s[d] * out[d]) { merge = false; break; }
                }
                if (merge) {
                    shape[n - 1] *= out[d];
                    for (int o = 0; o < operands.length; o++) ms[o][n - 1] = st[o][d];
                    continue;
                }
            }
            shape[n] = out[d];
            for (int o = 0; o < operands.length; o++) ms[o][n] = st[o][d];
            n++;
        }
        if (n == 0) { // a scalar result
            shape[0] = 1;
            n = 1;
        }
        if (n > MAX_RANK)
            throw new IllegalArgumentException("broadcast over " + Shapes.str(out) + " needs " + n + " dims after merging; the OpenCL kernels index at most " + MAX_RANK);
        int[] meta = new int[1 + n * (1 + operands.length)];
        meta[0] = n;
        System.arraycopy(shape, 0, meta, 1, n);
        for (int o = 0; o < operands.length; o++)
            for (int d = 0; d < n; d++) meta[1 + n * (1 + o) + d] = Math.toIntExact(ms[o][d]);
        return meta;
    }

    /** The nearest dim before d whose size is not 1 (the dim d would merge into). */
    private static int lastKept(int[] out, int d) {
        for (int p = d - 1; p >= 0; p--) if (out[p] != 1) return p;
        throw new IllegalStateException("no kept dim before " + d + " in " + Arrays.toString(out));
    }
}
