package org.prune4j.tensor;

/**
 * A tensor seen as rows of its last dim: row r starts at {@link #base(long)} and steps by {@link #stride}.
 * Lets last-dim kernels (softmax, norms, sort) treat any strided view the same way; {@link #moveToLast}
 * turns "along dim d" into "along the last dim".
 */
public final class Rows {
    public final Tensor t;
    /** Row length (size of the last dim; 1 for a scalar). */
    public final int cols;
    /** Number of rows (product of the other dims). */
    public final long rows;
    /** Element stride along a row. */
    public final long stride;

    public Rows(Tensor t) {
        this.t = t;
        this.cols = t.rank() == 0 ? 1 : t.size(-1);
        this.rows = cols == 0 ? product(t.shape(), t.rank() - 1) : t.numel() / cols;
        this.stride = t.rank() == 0 ? 1 : t.stride(-1);
    }

    private static long product(int[] shape, int upTo) {
        long n = 1;
        for (int i = 0; i < upTo; i++) n *= shape[i];
        return n;
    }

    /** Storage index of the first element of row r. */
    public long base(long r) {
        if (t.rank() <= 1) return t.offset();
        long o = t.offset();
        int[] shape = t.shape();
        long[] st = t.strides();
        for (int i = shape.length - 2; i >= 0; i--) {
            int n = shape[i];
            o += (r % n) * st[i];
            r /= n;
        }
        return o;
    }

    /** Element j of row r. */
    public float get(long r, int j) {
        return t.storage().getFloat(base(r) + j * stride);
    }

    /** A view with {@code dim} moved to the end, others kept in order. */
    public static Tensor moveToLast(Tensor t, int dim) {
        int d = Shapes.dim(dim, t.shape());
        int r = t.rank();
        if (d == r - 1) return t;
        int[] order = new int[r];
        for (int i = 0, j = 0; i < r; i++) if (i != d) order[j++] = i;
        order[r - 1] = d;
        return t.permute(order);
    }

    /** The shape with {@code dim} removed (or set to 1 when keepDim). */
    public static int[] reducedShape(int[] shape, int dim, boolean keepDim) {
        int d = Shapes.dim(dim, shape);
        if (keepDim) {
            int[] s = shape.clone();
            s[d] = 1;
            return s;
        }
        int[] s = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != d) s[j++] = shape[i];
        return s;
    }
}
