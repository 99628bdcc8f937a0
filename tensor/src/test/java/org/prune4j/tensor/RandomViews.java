package org.prune4j.tensor;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Random tensors of a wanted shape laid out in random ways, for comparing kernels with the oracle on
 * every layout they must accept: dense, offset into a larger array, permuted/transposed, sliced with a
 * step, narrowed, expanded (broadcast, stride 0), and stored as BF16/F16/F32 in a memory segment, with up
 * to two of those layouts stacked (a narrowed view of a transposed BF16 tensor). Public so that other
 * test packages (gemm) reuse it.
 */
public final class RandomViews {
    private RandomViews() {}

    /** Sizes that are not multiples of any vector width, plus the edges (1, and 0 for empty dims). */
    public static final int[] ODD_SIZES = {1, 2, 3, 5, 7, 15, 17, 31, 33, 63, 65, 100};

    /** How element values are drawn. */
    @FunctionalInterface
    public interface Values {
        float next(SplittableRandom r);

        /** Standard normal. */
        Values NORMAL = r -> (float) gaussian(r);
        /** |normal| + a little: for log, sqrt, rsqrt. */
        Values POSITIVE = r -> (float) (Math.abs(gaussian(r)) * 3 + 1e-3);
        /** Normal with a random scale over 1e-3 .. 1e3 and both signs: exercises tails of activations. */
        Values WIDE = r -> (float) (gaussian(r) * Math.pow(10, r.nextDouble(-3, 3)));
        /** Small integers, so ties (sort, argmax) and exact sums happen often. */
        Values SMALL_INTS = r -> r.nextInt(-3, 4);
    }

    /** How the storage under a view is held. */
    public enum Storage { HEAP, F32_SEGMENT, BF16_SEGMENT, F16_SEGMENT }

    /** One way of making a view of the wanted shape out of a base tensor of another shape. */
    public enum Layout { DENSE, OFFSET, PERMUTED, STEPPED, NARROWED, EXPANDED }

    /** A random view (random storage, one or two stacked random layouts) of shape {@code shape} with NORMAL values. */
    public static Tensor random(SplittableRandom r, int... shape) {
        return random(r, Values.NORMAL, shape);
    }

    /** A random view of {@code shape} whose values come from {@code values}. */
    public static Tensor random(SplittableRandom r, Values values, int... shape) {
        Storage[] ss = Storage.values();
        Storage storage = r.nextInt(3) == 0 ? ss[r.nextInt(ss.length)] : Storage.HEAP; // heap twice as often
        return view(r, values, storage, r.nextInt(1, 3), shape);
    }

    /** A random view without stride-0 dims (for writing into, e.g. addInPlace's destination). */
    public static Tensor randomWritable(SplittableRandom r, int... shape) {
        Tensor t;
        do t = random(r, shape); while (hasBroadcastDim(t));
        return t;
    }

    /** A view of {@code shape} made by {@code depth} random layouts over fresh storage of kind {@code storage}. */
    public static Tensor view(SplittableRandom r, Values values, Storage storage, int depth, int... shape) {
        Layout[] ls = Layout.values();
        return view(r, values, storage, ls[r.nextInt(ls.length)], depth, shape);
    }

    /** A view of {@code shape} whose outermost layout is {@code layout}. */
    public static Tensor view(SplittableRandom r, Values values, Storage storage, Layout layout, int depth, int... shape) {
        int rank = shape.length;
        int[] base = shape.clone();
        java.util.function.UnaryOperator<Tensor> make;
        switch (layout) {
            case DENSE -> make = t -> t;
            case OFFSET -> {
                int extra = r.nextInt(1, 9);
                long n = Shapes.numel(shape);
                base = new int[] {(int) n + extra};
                make = t -> t.narrow(0, extra, (int) n).view(shape);
            }
            case PERMUTED -> {
                int[] perm = shuffled(r, rank); // base dim j = wanted dim perm[j]
                int[] inv = new int[rank];
                for (int j = 0; j < rank; j++) {
                    base[j] = shape[perm[j]];
                    inv[perm[j]] = j;
                }
                make = t -> t.permute(inv);
            }
            case STEPPED -> {
                if (rank == 0) return view(r, values, storage, Layout.OFFSET, depth, shape);
                int d = r.nextInt(rank), step = r.nextInt(2, 4), start = r.nextInt(3);
                base[d] = shape[d] == 0 ? start : start + (shape[d] - 1) * step + 1 + r.nextInt(step);
                int end = shape[d] == 0 ? start : start + (shape[d] - 1) * step + 1;
                make = t -> t.slice(d, start, end, step);
            }
            case NARROWED -> {
                if (rank == 0) return view(r, values, storage, Layout.OFFSET, depth, shape);
                int d = r.nextInt(rank), start = r.nextInt(3);
                base[d] = shape[d] + start + r.nextInt(3);
                make = t -> t.narrow(d, start, shape[d]);
            }
            case EXPANDED -> {
                boolean any = false;
                for (int d = 0; d < rank; d++)
                    if (r.nextBoolean()) {
                        base[d] = 1;
                        any = true;
                    }
                if (!any && rank > 0) base[r.nextInt(rank)] = 1;
                int lead = rank > 0 ? r.nextInt(Math.min(2, rank) + 1) : 0; // also prepend broadcast leading dims
                base = Arrays.copyOfRange(base, lead, rank);
                make = t -> t.expand(shape);
            }
            default -> throw new AssertionError(layout);
        }
        Tensor b = depth > 1 ? view(r, values, storage, depth - 1, base) : fresh(r, values, storage, base);
        Tensor v = make.apply(b);
        if (!Arrays.equals(v.shape(), shape)) throw new AssertionError("RandomViews built " + describe(v) + " for " + Shapes.str(shape));
        return v;
    }

    /** A fresh row-major tensor of {@code shape} in {@code storage}. */
    public static Tensor fresh(SplittableRandom r, Values values, Storage storage, int... shape) {
        float[] d = new float[Shapes.checkedArrayLength(shape)];
        for (int i = 0; i < d.length; i++) d[i] = values.next(r);
        Tensor t = Tensor.of(d, shape);
        return switch (storage) {
            case HEAP -> t;
            case F32_SEGMENT -> t.to(DType.F32, Arena.ofAuto());
            case BF16_SEGMENT -> t.to(DType.BF16, Arena.ofAuto());
            case F16_SEGMENT -> t.to(DType.F16, Arena.ofAuto());
        };
    }

    /** Elements a random shape holds at most by default: enough for several vectors per row, quick for the oracle. */
    public static final int MAX_NUMEL = 3000;

    /** A random shape of rank in [minRank, maxRank] and at most {@link #MAX_NUMEL} elements; see the other overload. */
    public static int[] shape(SplittableRandom r, int minRank, int maxRank, int maxDim, double pZero) {
        return shape(r, minRank, maxRank, maxDim, pZero, MAX_NUMEL);
    }

    /** A random shape of rank in [minRank, maxRank]: dims up to maxDim (odd sizes preferred), 0 with probability pZero, halved at random until the shape has at most maxNumel elements. */
    public static int[] shape(SplittableRandom r, int minRank, int maxRank, int maxDim, double pZero, long maxNumel) {
        int[] s = new int[r.nextInt(minRank, maxRank + 1)];
        for (int i = 0; i < s.length; i++) s[i] = r.nextDouble() < pZero ? 0 : dim(r, maxDim);
        while (Shapes.numel(s) > maxNumel) {
            int i = r.nextInt(s.length);
            s[i] = (s[i] + 1) / 2;
        }
        return s;
    }

    /** A random dim size in [1, maxDim], odd sizes preferred. */
    public static int dim(SplittableRandom r, int maxDim) {
        if (r.nextBoolean()) return r.nextInt(1, maxDim + 1);
        int d;
        do d = ODD_SIZES[r.nextInt(ODD_SIZES.length)]; while (d > maxDim);
        return d;
    }

    /** Shape, strides, offset and dtype: what a failure message needs to reproduce a layout. */
    public static String describe(Tensor t) {
        return "shape " + Shapes.str(t.shape()) + " strides " + Arrays.toString(t.strides()) + " offset " + t.offset() + " " + t.dtype()
                + (t.segment() != null ? " segment" : " heap");
    }

    static boolean hasBroadcastDim(Tensor t) {
        for (int i = 0; i < t.rank(); i++) if (t.size(i) > 1 && t.stride(i) == 0) return true;
        return false;
    }

    private static int[] shuffled(SplittableRandom r, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = 1.0 - r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
