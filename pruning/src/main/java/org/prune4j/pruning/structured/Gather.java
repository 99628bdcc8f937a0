package org.prune4j.pruning.structured;

import org.prune4j.tensor.Tensor;

/**
 * One output tensor of a structured plan made from one source tensor: output row r is the mean of the source rows
 * {@code rows[r]} (one row: a selection; several: KV mean-pooling; none: a zero row, {@code --hf-pad}), restricted
 * to the source columns {@code cols} (null: all; {@link HfPadding#ZERO}: a zero column). The source is read one
 * row at a time, so a memory-mapped BF16 checkpoint is never widened whole.
 */
record Gather(int[][] rows, int[] cols) {
    /** Every row of a source with n rows, each alone. */
    static int[][] all(int n) {
        return each(Planner.iota(n));
    }

    /** Each index alone ({@link HfPadding#ZERO}: no source row, a zero row). */
    static int[][] each(int[] idx) {
        int[][] r = new int[idx.length][];
        for (int i = 0; i < idx.length; i++) r[i] = idx[i] == HfPadding.ZERO ? new int[0] : new int[] {idx[i]};
        return r;
    }

    /** The d rows of every unit in {@code units} (heads, D rows each), each alone; a {@link HfPadding#ZERO} unit gives d ZERO rows. */
    static int[] blocks(int[] units, int d) {
        int[] r = new int[units.length * d];
        for (int i = 0; i < units.length; i++) for (int j = 0; j < d; j++) r[i * d + j] = units[i] == HfPadding.ZERO ? HfPadding.ZERO : units[i] * d + j;
        return r;
    }

    /** Output KV head j, row t = mean over s in kv[j] of source row s·D + t. */
    static int[][] pooled(int[][] kv, int d) {
        int[][] r = new int[kv.length * d][];
        for (int j = 0; j < kv.length; j++)
            for (int t = 0; t < d; t++) {
                int[] src = new int[kv[j].length];
                for (int i = 0; i < src.length; i++) src[i] = kv[j][i] * d + t;
                r[j * d + t] = src;
            }
        return r;
    }

    /** True when this keeps the source of {@code rows} x {@code cols} exactly as it is. */
    boolean isIdentity(int srcRows, int srcCols) {
        if (rows.length != srcRows || (cols != null && cols.length != srcCols)) return false;
        for (int r = 0; r < rows.length; r++) if (rows[r].length != 1 || rows[r][0] != r) return false;
        if (cols != null) for (int c = 0; c < cols.length; c++) if (cols[c] != c) return false;
        return true;
    }

    /** Output shape for a source of rank 1 ([rows]) or 2 ([rows, cols]). */
    int[] shape(Tensor src) {
        return src.rank() == 1 ? new int[] {rows.length} : new int[] {rows.length, cols == null ? src.size(1) : cols.length};
    }

    /** The output values as an F32 heap tensor. */
    Tensor apply(Tensor src) {
        if (src.rank() == 1) {
            float[] v = src.toFloatArray(), out = new float[rows.length];
            for (int r = 0; r < rows.length; r++) out[r] = mean(v, rows[r], 0, 1);
            return Tensor.of(out, rows.length);
        }
        int in = src.size(1), outCols = cols == null ? in : cols.length;
        float[] out = new float[rows.length * outCols];
        float[] row = new float[in];
        double[] acc = new double[outCols];
        for (int r = 0; r < rows.length; r++) {
            java.util.Arrays.fill(acc, 0);
            for (int s : rows[r]) {
                src.select(0, s).copyTo(row, 0);
                for (int c = 0; c < outCols; c++) {
                    int from = cols == null ? c : cols[c];
                    if (from != HfPadding.ZERO) acc[c] += row[from];
                }
            }
            int n = rows[r].length;
            if (n > 0) for (int c = 0; c < outCols; c++) out[r * outCols + c] = (float) (acc[c] / n);
        }
        return Tensor.of(out, rows.length, outCols);
    }

    private static float mean(float[] v, int[] idx, int base, int stride) {
        if (idx.length == 0) return 0;
        double s = 0;
        for (int i : idx) s += v[base + i * stride];
        return (float) (s / idx.length);
    }
}
