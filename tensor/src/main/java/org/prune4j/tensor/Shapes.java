package org.prune4j.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by tensors and kernels: sizes, strides, broadcasting, dim checks. */
public final class Shapes {
    private Shapes() {}

    /** "[2, 3, 4]". */
    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** Product of the dims as a long (0 for an empty dim, 1 for a scalar). */
    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Row-major (C-order) element strides. */
    public static long[] contiguousStrides(int[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return s;
    }

    /** Resolves a possibly negative dim against {@code rank}; throws naming the shape when out of range. */
    public static int dim(int dim, int[] shape) {
        int r = shape.length;
        int d = dim < 0 ? dim + r : dim;
        if (d < 0 || d >= r)
            throw new ShapeException("dim " + dim + " is out of range for shape " + str(shape) + " (rank " + r + ")");
        return d;
    }

    /** Numpy broadcasting of two shapes; throws stating both when they are incompatible. */
    public static int[] broadcast(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
            int db = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ShapeException("shapes " + str(a) + " and " + str(b) + " cannot be broadcast (dim " + i + ": " + da + " vs " + db + ")");
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Broadcasts any number of shapes together; the error names every shape. */
    public static int[] broadcast(int[]... shapes) {
        int[] out = new int[0];
        try {
            for (int[] s : shapes) out = broadcast(out, s);
        } catch (ShapeException e) {
            StringBuilder all = new StringBuilder();
            for (int[] s : shapes) all.append(all.isEmpty() ? "" : ", ").append(str(s));
            throw new ShapeException("shapes " + all + " cannot be broadcast together: " + e.getMessage());
        }
        return out;
    }

    /** Throws unless both shapes are equal, naming both and the operation. */
    public static void requireSame(String op, int[] a, int[] b) {
        if (!Arrays.equals(a, b))
            throw new ShapeException(op + ": shapes " + str(a) + " and " + str(b) + " must be equal");
    }

    /** Throws unless {@code mask} broadcasts to {@code target} without enlarging it (a mask never grows its tensor). */
    public static void requireBroadcastsTo(String op, int[] mask, int[] target) {
        if (!Arrays.equals(broadcast(target, mask), target))
            throw new ShapeException(op + ": mask shape " + str(mask) + " does not broadcast to " + str(target));
    }

    /** Int shape from a long element count, refusing anything that does not fit a Java array. */
    public static int checkedArrayLength(int[] shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8)
            throw new ShapeException("shape " + str(shape) + " has " + n + " elements, more than a Java array holds");
        return (int) n;
    }
}
