package org.prune4j.pruning.verify;

import org.prune4j.tensor.DType;
import org.prune4j.tensor.Tensor;

/**
 * Compares a pruned tensor with the values its parent says it must hold: output row r is the mean of parent rows
 * {@code rows[r]} (one row: a copy; several: mean-pooled KV heads) at parent columns {@code cols} (null: the same
 * columns), computed as the writer computes it (sum in double, divided, rounded to float, then to the pruned
 * tensor's dtype), so equality is exact, not within a tolerance. Read one row at a time (mapped BF16 stays mapped).
 */
final class Compare {
    private Compare() {}

    /** Every value must equal the expected one ({@code nonZeroOnly}: only where the pruned value is non-zero). */
    static void check(String name, Tensor parent, Tensor pruned, int[][] rows, int[] cols, boolean nonZeroOnly, String rule, Violations v) {
        DType dt = pruned.dtype();
        if (pruned.rank() == 1) {
            float[] p = pruned.toFloatArray(), d = parent.toFloatArray();
            for (int r = 0; r < p.length; r++) {
                float want = round(dt, mean(d, rows[r]));
                if (differs(p[r], want, nonZeroOnly)) v.add(name, r, -1, rule, detail(p[r], want, rows[r], -1));
            }
            return;
        }
        int outCols = pruned.size(1), inCols = parent.size(1);
        float[] p = new float[outCols], d = new float[inCols];
        double[] acc = new double[outCols];
        for (int r = 0; r < rows.length; r++) {
            pruned.select(0, r).copyTo(p, 0);
            java.util.Arrays.fill(acc, 0);
            for (int s : rows[r]) {
                parent.select(0, s).copyTo(d, 0);
                for (int c = 0; c < outCols; c++) acc[c] += d[cols == null ? c : cols[c]];
            }
            for (int c = 0; c < outCols; c++) {
                float want = round(dt, (float) (acc[c] / rows[r].length));
                if (differs(p[c], want, nonZeroOnly)) v.add(name, r, c, rule, detail(p[c], want, rows[r], cols == null ? c : cols[c]));
            }
        }
    }

    /** Row r of the parent for every row r of a tensor with n rows. */
    static int[][] identity(int n) {
        int[][] r = new int[n][];
        for (int i = 0; i < n; i++) r[i] = new int[] {i};
        return r;
    }

    private static boolean differs(float got, float want, boolean nonZeroOnly) {
        if (nonZeroOnly && got == 0) return false;
        return !(got == want || (Float.isNaN(got) && Float.isNaN(want)));
    }

    private static float mean(float[] d, int[] idx) {
        double s = 0;
        for (int i : idx) s += d[i];
        return (float) (s / idx.length);
    }

    /** {@code v} as the pruned tensor's dtype stores it (round to nearest even, as the writers do). */
    static float round(DType dt, float v) {
        return switch (dt) {
            case BF16 -> DType.bf16ToFloat(DType.floatToBf16(v));
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
            default -> v;
        };
    }

    private static String detail(float got, float want, int[] parentRows, int parentCol) {
        String from = parentRows.length == 1 ? "the parent's value at [" + parentRows[0] + (parentCol < 0 ? "" : ", " + parentCol) + "]"
                : "the mean of the parent's rows " + java.util.Arrays.toString(parentRows) + (parentCol < 0 ? "" : " at column " + parentCol);
        return "holds " + got + ", " + from + " is " + want;
    }
}
